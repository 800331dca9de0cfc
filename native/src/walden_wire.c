/*
 * The C side of protocol v1 (docs/protocol.md): frame encoding and decoding, and one blocking
 * exchange bounded by a deadline. Mirrors protocol/src/main/java/dev/walden/protocol/AgentClient
 * and FrameCodec, message for message, so that walden-push prints the same lines whichever client
 * runs; PushClientConformanceIT holds the two to that.
 */
#define _POSIX_C_SOURCE 200809L

#include "walden_wire.h"

#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>

/* Longest single wait, so that an abort check runs at least this often. */
#define WALDEN_POLL_SLICE_MS 1000

typedef struct
{
    const char *socket_path;
    int64_t timeout_ms;
    int64_t deadline_ns;
    walden_abort_check abort_check;
    void *abort_arg;
    char *message;
    size_t message_size;
    bool undecodable;    /* the bytes received could not be a frame (as opposed to no reply at all) */
} exchange_state;

static void say(exchange_state *st, const char *format, ...)
{
    va_list ap;

    va_start(ap, format);
    vsnprintf(st->message, st->message_size, format, ap);
    va_end(ap);
}

static int64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* strerror, lower-cased: the Java client lower-cases the JDK's exception messages the same way. */
static void reason(int err, char *out, size_t out_size)
{
    size_t i;

    /* the JDK words a reset read as "Connection reset", not strerror's "Connection reset by peer" */
    snprintf(out, out_size, "%s", err == ECONNRESET ? "connection reset" : strerror(err));
    for (i = 0; out[i] != '\0'; i++)
        out[i] = (char) tolower((unsigned char) out[i]);
}

void walden_format_millis(int64_t millis, char *out, size_t out_size)
{
    if (millis % 1000 == 0)
        snprintf(out, out_size, "%llds", (long long) (millis / 1000));
    else
        snprintf(out, out_size, "%lldms", (long long) millis);
}

size_t walden_encode(uint8_t *out, size_t out_size, int type, const uint8_t *body, size_t length)
{
    if (length > WALDEN_MAX_BODY_LENGTH || out_size < WALDEN_HEADER_LENGTH + length)
        return 0;
    out[0] = WALDEN_MAGIC_0;
    out[1] = WALDEN_MAGIC_1;
    out[2] = WALDEN_PROTOCOL_VERSION;
    out[3] = (uint8_t) type;
    out[4] = (uint8_t) (length >> 24);
    out[5] = (uint8_t) (length >> 16);
    out[6] = (uint8_t) (length >> 8);
    out[7] = (uint8_t) length;
    if (length > 0)
        memcpy(out + WALDEN_HEADER_LENGTH, body, length);
    return WALDEN_HEADER_LENGTH + length;
}

static const char *request_name(int type)
{
    switch (type)
    {
        case WALDEN_FRAME_PUSH: return "PUSH";
        case WALDEN_FRAME_PING: return "PING";
        case WALDEN_FRAME_STATUS: return "STATUS";
        case WALDEN_FRAME_BACKUP: return "BACKUP";
        case WALDEN_FRAME_FETCHED: return "FETCHED";
        case WALDEN_FRAME_FETCH: return "FETCH";
        default: return NULL;
    }
}

static bool known_type(int type)
{
    return request_name(type) != NULL || type == WALDEN_FRAME_OK || type == WALDEN_FRAME_ERROR
        || type == WALDEN_FRAME_PROGRESS || type == WALDEN_FRAME_METER;
}

/*
 * Looks at the bytes received so far. Returns 1 with the frame's total length in *frame_length
 * when a whole frame is there, 0 when more bytes are needed, -1 (message set) when the bytes can't
 * be a frame. The header is judged as soon as its bytes arrive, in FrameCodec's order.
 */
static int decode(exchange_state *st, const uint8_t *buf, size_t filled, size_t *frame_length)
{
    static const uint8_t magic[2] = {WALDEN_MAGIC_0, WALDEN_MAGIC_1};
    size_t i;
    uint32_t length;

    for (i = 0; i < 2 && i < filled; i++)
    {
        if (buf[i] != magic[i])
        {
            say(st, "invalid reply from the agent: bad frame magic: byte %zu is 0x%02x, expected 0x%02x", i,
                buf[i], magic[i]);
            return -1;
        }
    }
    if (filled < WALDEN_HEADER_LENGTH)
        return 0;
    if (buf[2] != WALDEN_PROTOCOL_VERSION)
    {
        say(st, "invalid reply from the agent: unsupported protocol version %d (this side speaks %d)", buf[2],
            WALDEN_PROTOCOL_VERSION);
        return -1;
    }
    if (!known_type(buf[3]))
    {
        say(st, "invalid reply from the agent: unknown frame type 0x%02x", buf[3]);
        return -1;
    }
    length = (uint32_t) buf[4] << 24 | (uint32_t) buf[5] << 16 | (uint32_t) buf[6] << 8 | buf[7];
    if (length > WALDEN_MAX_BODY_LENGTH)
    {
        say(st, "invalid reply from the agent: frame body of %lu bytes exceeds the maximum of %d",
            (unsigned long) length, WALDEN_MAX_BODY_LENGTH);
        return -1;
    }
    if (filled < WALDEN_HEADER_LENGTH + (size_t) length)
        return 0;
    *frame_length = WALDEN_HEADER_LENGTH + (size_t) length;
    return 1;
}

/* now + timeout, saturating: 999999999d must not overflow (signed overflow is undefined) */
static int64_t deadline_after(int64_t timeout_ms)
{
    int64_t now = now_ns();

    if (timeout_ms > (INT64_MAX - now) / 1000000)
        return INT64_MAX;
    return now + timeout_ms * 1000000;
}

static walden_outcome io_failure(exchange_state *st, int err)
{
    char why[128];

    reason(err, why, sizeof(why));
    say(st, "cannot talk to the agent at '%s': %s", st->socket_path, why);
    return WALDEN_IO_FAILED;
}

/* WALDEN_GOT_REPLY while there is time left and nobody asked to give up; the failure otherwise. */
static walden_outcome check_time(exchange_state *st, const char *step)
{
    char timeout[32];

    if (st->abort_check != NULL && st->abort_check(st->abort_arg))
    {
        say(st, "gave up %s: the archiver is stopping (agent at '%s')", step, st->socket_path);
        return WALDEN_ABORTED;
    }
    if (now_ns() >= st->deadline_ns)
    {
        walden_format_millis(st->timeout_ms, timeout, sizeof(timeout));
        say(st, "timed out after %s %s (agent at '%s')", timeout, step, st->socket_path);
        return WALDEN_TIMED_OUT;
    }
    return WALDEN_GOT_REPLY;
}

/*
 * Waits until fd is ready for events or the deadline passes, in slices that let the abort check
 * run. Returns WALDEN_GOT_REPLY when ready (or on a spurious wake-up), the failure otherwise.
 */
static walden_outcome await(exchange_state *st, int fd, short events, const char *step)
{
    for (;;)
    {
        walden_outcome left = check_time(st, step);
        int64_t remaining_ns = st->deadline_ns - now_ns();
        int slice = remaining_ns >= (int64_t) WALDEN_POLL_SLICE_MS * 1000000
                        ? WALDEN_POLL_SLICE_MS
                        : (int) ((remaining_ns + 999999) / 1000000);
        struct pollfd p = {.fd = fd, .events = events};
        int n;

        if (left != WALDEN_GOT_REPLY)
            return left;
        n = poll(&p, 1, slice < 1 ? 1 : slice);
        if (n > 0)
            return WALDEN_GOT_REPLY;
        if (n < 0 && errno != EINTR)
            return io_failure(st, errno);
    }
}

static walden_outcome connect_socket(exchange_state *st, int fd)
{
    struct sockaddr_un address;
    size_t path_length = strlen(st->socket_path);

    memset(&address, 0, sizeof(address));
    address.sun_family = AF_UNIX;
    if (path_length >= sizeof(address.sun_path))
    {
        say(st, "cannot talk to the agent at '%s': the socket path is longer than %zu bytes", st->socket_path,
            sizeof(address.sun_path) - 1);
        return WALDEN_IO_FAILED;
    }
    memcpy(address.sun_path, st->socket_path, path_length);
    for (;;)
    {
        if (connect(fd, (struct sockaddr *) &address, sizeof(address)) == 0)
            return WALDEN_GOT_REPLY;
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN)
        {
            /* the agent's backlog is full: a Unix socket never becomes writable for that, so retry */
            struct timespec pause = {.tv_sec = 0, .tv_nsec = 5000000};
            walden_outcome left = check_time(st, "connecting");

            if (left != WALDEN_GOT_REPLY)
                return left;
            nanosleep(&pause, NULL);
            continue;
        }
        if (errno == EINPROGRESS)
        {
            int err = 0;
            socklen_t err_length = sizeof(err);
            walden_outcome waited = await(st, fd, POLLOUT, "connecting");

            if (waited != WALDEN_GOT_REPLY)
                return waited;
            if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &err_length) != 0)
                err = errno;
            if (err == 0)
                return WALDEN_GOT_REPLY;
            errno = err;
        }
        if (errno == EACCES)
        {
            say(st, "permission denied on '%s': run as the agent's user, or set agent.socket_group to a group this "
                    "user is in", st->socket_path);
            return WALDEN_IO_FAILED;
        }
        if (errno == ECONNREFUSED || errno == ENOENT)
        {
            char why[128];

            reason(ECONNREFUSED, why, sizeof(why));
            say(st, "agent not running: nobody listens on '%s' (%s)", st->socket_path, why);
            return WALDEN_NOT_RUNNING;
        }
        return io_failure(st, errno);
    }
}

static walden_outcome send_all(exchange_state *st, int fd, const uint8_t *bytes, size_t length, int *write_errno)
{
    size_t sent = 0;

    while (sent < length)
    {
        ssize_t n = send(fd, bytes + sent, length - sent, MSG_NOSIGNAL);

        if (n > 0)
        {
            sent += (size_t) n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        {
            walden_outcome waited = await(st, fd, POLLOUT, "sending the request");

            if (waited != WALDEN_GOT_REPLY)
                return waited;
            continue;
        }
        *write_errno = n < 0 ? errno : EPIPE;
        return WALDEN_IO_FAILED;
    }
    return WALDEN_GOT_REPLY;
}

/* Frames arrive into buf; PROGRESS and METER are skipped, each one restarting the timeout. */
static walden_outcome read_reply(exchange_state *st, int fd, walden_reply *reply)
{
    static uint8_t buf[WALDEN_HEADER_LENGTH + WALDEN_MAX_BODY_LENGTH];
    size_t filled = 0;

    for (;;)
    {
        size_t frame_length = 0;
        int decoded = decode(st, buf, filled, &frame_length);
        ssize_t n;

        if (decoded < 0)
        {
            st->undecodable = true;
            return WALDEN_PROTOCOL_FAILED;
        }
        if (decoded > 0)
        {
            int type = buf[3];

            if (type == WALDEN_FRAME_PROGRESS || type == WALDEN_FRAME_METER)
            {
                memmove(buf, buf + frame_length, filled - frame_length);
                filled -= frame_length;
                st->deadline_ns = deadline_after(st->timeout_ms);
                continue;
            }
            if (request_name(type) != NULL)
            {
                say(st, "agent replied with a request frame (%s)", request_name(type));
                return WALDEN_PROTOCOL_FAILED;
            }
            reply->type = type;
            reply->length = frame_length - WALDEN_HEADER_LENGTH;
            memcpy(reply->body, buf + WALDEN_HEADER_LENGTH, reply->length);
            reply->body[reply->length] = '\0';
            return WALDEN_GOT_REPLY;
        }
        /* decode() returned 0, so filled < a whole frame <= sizeof(buf): there is room */
        n = recv(fd, buf + filled, sizeof(buf) - filled, 0);
        if (n > 0)
        {
            filled += (size_t) n;
            continue;
        }
        if (n == 0)
        {
            say(st, "agent closed the connection without a reply");
            return WALDEN_PROTOCOL_FAILED;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
        {
            walden_outcome waited = await(st, fd, POLLIN, "waiting for the reply");

            if (waited != WALDEN_GOT_REPLY)
                return waited;
            continue;
        }
        return io_failure(st, errno);
    }
}

walden_outcome walden_exchange(const char *socket_path, int64_t timeout_ms, int type, const uint8_t *body,
                               size_t length, walden_reply *reply, char *message, size_t message_size,
                               walden_abort_check abort_check, void *abort_arg)
{
    static uint8_t request[WALDEN_HEADER_LENGTH + WALDEN_MAX_BODY_LENGTH];
    exchange_state st = {
        .socket_path = socket_path,
        .timeout_ms = timeout_ms,
        .deadline_ns = deadline_after(timeout_ms),
        .abort_check = abort_check,
        .abort_arg = abort_arg,
        .message = message,
        .message_size = message_size,
    };
    struct stat sb;
    size_t request_length;
    walden_outcome outcome;
    int fd;
    int write_errno = 0;

    message[0] = '\0';
    request_length = walden_encode(request, sizeof(request), type, body, length);
    if (request_length == 0)
    {
        say(&st, "request body of %zu bytes exceeds the maximum of %d", length, WALDEN_MAX_BODY_LENGTH);
        return WALDEN_PROTOCOL_FAILED;
    }
    if (stat(socket_path, &sb) != 0)
    {
        if (errno == EACCES)
        {
            say(&st, "permission denied on '%s': a directory on its path is closed to this user; run as the agent's "
                     "user, or open the directory to agent.socket_group", socket_path);
            return WALDEN_IO_FAILED;
        }
        say(&st, "agent not running: no socket at '%s'", socket_path);
        return WALDEN_NOT_RUNNING;
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return io_failure(&st, errno);
    outcome = connect_socket(&st, fd);
    if (outcome == WALDEN_GOT_REPLY)
    {
        outcome = send_all(&st, fd, request, request_length, &write_errno);
        if (outcome == WALDEN_IO_FAILED && write_errno != 0)
        {
            /*
             * The agent may have answered ("shutting down") and closed before reading the request;
             * that reply is still in the receive buffer and says more than EPIPE does.
             */
            outcome = read_reply(&st, fd, reply);
            if (outcome != WALDEN_GOT_REPLY && !st.undecodable)
                outcome = io_failure(&st, write_errno);
        }
        else if (outcome == WALDEN_GOT_REPLY)
            outcome = read_reply(&st, fd, reply);
    }
    close(fd);
    return outcome;
}

static const char *error_name(unsigned code)
{
#define WALDEN_ERROR_CASE(number, name) case number: return name;
    switch (code)
    {
        WALDEN_ERROR_CODES(WALDEN_ERROR_CASE)
        default: return NULL;
    }
#undef WALDEN_ERROR_CASE
}

bool walden_error_text(const walden_reply *reply, char *out, size_t out_size)
{
    unsigned code;
    const char *name;
    char suffix[32];
    size_t room;
    size_t start = 0;
    size_t i;
    size_t o = 0;

    if (reply->length < 2)
    {
        snprintf(out, out_size, "ERROR frame of %zu bytes has no error code", reply->length);
        return false;
    }
    code = (unsigned) reply->body[0] << 8 | reply->body[1];
    name = error_name(code);
    if (name != NULL)
        snprintf(suffix, sizeof(suffix), " [%s]", name);
    else
        snprintf(suffix, sizeof(suffix), " [error %u]", code);
    /* the message may be cut to fit out, the code never is */
    room = out_size > strlen(suffix) + 1 ? out_size - strlen(suffix) : 1;
    /* ErrorReply.oneLine: control characters become spaces, then the ends are trimmed */
    for (i = 2; i < reply->length && o + 1 < room; i++)
    {
        uint8_t b = reply->body[i];

        if (b == 0xC2 && i + 1 < reply->length && reply->body[i + 1] >= 0x80 && reply->body[i + 1] <= 0x9F)
        {
            out[o++] = ' '; /* a C1 control character, U+0080..U+009F */
            i++;
        }
        else
            out[o++] = (b < 0x20 || b == 0x7F) ? ' ' : (char) b;
    }
    while (o > 0 && out[o - 1] == ' ')
        o--;
    out[o] = '\0';
    while (out[start] == ' ')
        start++;
    if (start > 0)
    {
        memmove(out, out + start, o - start + 1);
        o -= start;
    }
    snprintf(out + o, out_size - o, "%s", suffix);
    return true;
}
