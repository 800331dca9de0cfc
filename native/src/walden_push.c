/*
 * walden-push, native: PostgreSQL's archive_command. Hands one WAL file to the walden agent and
 * exits 0 only when the agent has acknowledged that the file is durably stored.
 *
 * The same program as archive-command/src/main/java/dev/walden/push/WaldenPush.java (the
 * reference): same flags, configuration lookup, environment variables, timeouts, exit codes and
 * one-line messages; PushClientConformanceIT runs both against the same fake agents and compares.
 * It exists because PostgreSQL starts the archive command once per segment, one after another:
 * a JVM start is paid on every file, and this program starts in a fraction of that time
 * (docs/benchmarks.md, "Per call").
 *
 * C11 and libc only. Every buffer is fixed-size and every copy into one is bounded.
 */
#define _POSIX_C_SOURCE 200809L

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "walden_protocol.h"
#include "walden_wire.h"

#ifndef WALDEN_VERSION
#define WALDEN_VERSION "unknown"
#endif

#define PATH_BYTES (WALDEN_MAX_BODY_LENGTH + 1)
#define MESSAGE_BYTES (4 * PATH_BYTES) /* static buffers only: a message may quote a 64 KiB path and a long line */

extern char **environ;

static const char USAGE_TEXT[] =
    "usage: walden-push [--socket PATH] [--config FILE] [--timeout DURATION] WAL_PATH\n"
    "       walden-push --ping [--socket PATH] [--config FILE] [--timeout DURATION]\n"
    "\n"
    "Hands one WAL file to the walden agent; exits 0 only once it is durably stored.\n"
    "In postgresql.conf:  archive_command = 'walden-push %p'\n"
    "\n"
    "  --socket PATH        agent socket (default: $WALDEN_AGENT_SOCKET, else agent.socket\n"
    "                       from the config file)\n"
    "  --config FILE        config file (default: $WALDEN_CONFIG, else /etc/walden/walden.conf)\n"
    "  --timeout DURATION   how long to wait for the agent, e.g. 30s (default: push.timeout, 60s)\n"
    "  --ping               only check that the agent answers\n"
    "  --verbose            print the agent's answer on success too\n"
    "  --version, --help\n"
    "\n"
    "exit codes: 0 archived; 2 usage or configuration error; 3 agent not running;\n"
    "            4 timed out; 5 refused by the agent (the message says why);\n"
    "            6 protocol error; 7 other I/O error\n";

static const char *const CONFIG_KEYS[] = {WALDEN_CONFIG_KEYS};
static const char *const RESERVED_ENVIRONMENT[] = {WALDEN_RESERVED_ENVIRONMENT};
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* What the configuration says about the two keys walden-push reads, and where it said it. */
typedef struct
{
    char file[PATH_BYTES];       /* the config file read, absolute; empty when none */
    char base[PATH_BYTES];       /* relative paths in it resolve against this directory */
    char socket[PATH_BYTES];
    char socket_origin[PATH_BYTES + 64];
    bool socket_set;
    char *timeout;               /* strdup: a fixed buffer would cut it */
    char timeout_origin[PATH_BYTES + 64];
    bool timeout_set;
    char *fetch_timeout;         /* fetch.timeout, for walden-fetch */
    char fetch_timeout_origin[PATH_BYTES + 64];
    bool fetch_timeout_set;
    bool holds_secret;           /* a value in the file looks like a password (Secrets.looksSecret) */
} config;

static char problem[MESSAGE_BYTES];

static void set_problem(const char *format, ...)
{
    va_list ap;

    va_start(ap, format);
    vsnprintf(problem, sizeof(problem), format, ap);
    va_end(ap);
}

static int usage(const char *format, ...)
{
    va_list ap;

    /* no fixed-size copy: Java prints a 100 KB path in full; stderr is fully buffered (main) */
    fputs("walden-push: ", stderr);
    va_start(ap, format);
    vfprintf(stderr, format, ap);
    va_end(ap);
    fputs(" (see walden-push --help)\n", stderr);
    return WALDEN_EXIT_USAGE;
}

/* Character.isWhitespace on ASCII: what Java's strip() and isBlank() remove. */
static bool java_space(char c)
{
    return isspace((unsigned char) c) || (c >= 0x1C && c <= 0x1F);
}

/* Java's String.isBlank on ASCII text, without copying (a copy would be truncated). */
static bool is_blank(const char *s)
{
    for (; *s != '\0'; s++)
        if (!java_space(*s))
            return false;
    return true;
}

/* Copies src into dst (dst_size bytes); false when it doesn't fit. */
static bool copy(char *dst, size_t dst_size, const char *src)
{
    size_t n = strlen(src);

    if (n >= dst_size)
        return false;
    memcpy(dst, src, n + 1);
    return true;
}

/* Java's String.strip on ASCII text, in place. */
static char *strip(char *s)
{
    char *end;

    while (*s != '\0' && java_space(*s))
        s++;
    end = s + strlen(s);
    while (end > s && java_space(end[-1]))
        end--;
    *end = '\0';
    return s;
}

/* Path.of(path).toAbsolutePath(): relative to the working directory, repeated and trailing slashes removed. */
static bool absolute(const char *path, char *out, size_t out_size)
{
    static char joined[2 * PATH_BYTES];
    size_t i;
    size_t o = 0;

    if (path[0] == '/')
    {
        if (!copy(joined, sizeof(joined), path))
            return false;
    }
    else
    {
        static char cwd[PATH_BYTES];

        if (getcwd(cwd, sizeof(cwd)) == NULL)
            return false;
        if ((size_t) snprintf(joined, sizeof(joined), "%s/%s", cwd, path) >= sizeof(joined))
            return false;
    }
    for (i = 0; joined[i] != '\0'; i++)
    {
        if (joined[i] == '/' && o > 0 && out[o - 1] == '/')
            continue;
        if (o + 1 >= out_size)
            return false;
        out[o++] = joined[i];
    }
    while (o > 1 && out[o - 1] == '/')
        o--;
    out[o] = '\0';
    return true;
}

/*
 * Path.normalize() of an absolute path, in place: "." dropped, "name/.." folded, ".." at the root
 * dropped. Each name written takes no more room than it took in the input, so the output never
 * overtakes the input it is read from.
 */
static void normalize(char *path)
{
    size_t length = strlen(path);
    size_t i = 0;
    size_t o = 0;

    while (i < length)
    {
        size_t start;
        size_t n;

        while (i < length && path[i] == '/')
            i++;
        start = i;
        while (i < length && path[i] != '/')
            i++;
        n = i - start;
        if (n == 0 || (n == 1 && path[start] == '.'))
            continue;
        if (n == 2 && path[start] == '.' && path[start + 1] == '.')
        {
            while (o > 0 && path[o - 1] != '/')
                o--;
            if (o > 0)
                o--;
            continue;
        }
        path[o++] = '/';
        memmove(path + o, path + start, n);
        o += n;
    }
    if (o == 0)
        path[o++] = '/';
    path[o] = '\0';
}

/* The key whose environment variable this is (agent.socket -> WALDEN_AGENT_SOCKET), or NULL. */
static const char *key_of_variable(const char *variable, size_t length)
{
    size_t i;

    for (i = 0; i < COUNT(CONFIG_KEYS); i++)
    {
        const char *key = CONFIG_KEYS[i];
        size_t k = strlen(key);
        size_t j;

        if (length != 7 + k || strncmp(variable, "WALDEN_", 7) != 0)
            continue;
        for (j = 0; j < k; j++)
        {
            char expected = key[j] == '.' ? '_' : (char) toupper((unsigned char) key[j]);

            if (variable[7 + j] != expected)
                break;
        }
        if (j == k)
            return key;
    }
    return NULL;
}

static bool remember(config *c, const char *name, const char *value, const char *origin)
{
    if (strcmp(name, WALDEN_KEY_AGENT_SOCKET) == 0)
    {
        c->socket_set = true;
        snprintf(c->socket_origin, sizeof(c->socket_origin), "%s", origin);
        if (!copy(c->socket, sizeof(c->socket), value))
        {
            set_problem("%s (%s): the path is too long", WALDEN_KEY_AGENT_SOCKET, origin);
            return false;
        }
    }
    else if (strcmp(name, WALDEN_KEY_FETCH_TIMEOUT) == 0)
    {
        c->fetch_timeout_set = true;
        snprintf(c->fetch_timeout_origin, sizeof(c->fetch_timeout_origin), "%s", origin);
        free(c->fetch_timeout);
        c->fetch_timeout = strdup(value);
        if (c->fetch_timeout == NULL)
        {
            set_problem("out of memory");
            return false;
        }
    }
    else if (strcmp(name, WALDEN_KEY_PUSH_TIMEOUT) == 0)
    {
        c->timeout_set = true;
        snprintf(c->timeout_origin, sizeof(c->timeout_origin), "%s", origin);
        free(c->timeout);
        c->timeout = strdup(value);
        if (c->timeout == NULL)
        {
            set_problem("out of memory");
            return false;
        }
    }
    return true;
}

/* Java's \s in a regular expression: ASCII whitespace only. */
static bool regex_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/* Java's \w, on whose edge \b matches: ASCII letters, digits and '_'. */
static bool word_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

static bool scheme_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '.' || c == '-';
}

/* Secrets.URL_PASSWORD found in s: \b[a-z][a-z0-9+.-]*://[^:/@\s]*:[^@\s]+@ */
static bool url_password(const char *s)
{
    const char *p;

    for (p = strstr(s, "://"); p != NULL; p = strstr(p + 1, "://"))
    {
        const char *start = p;
        const char *q = p + 3;
        bool scheme = false;

        /* some letter at a word boundary within the scheme characters before "://" starts a scheme */
        while (start > s && scheme_char(start[-1]))
        {
            start--;
            if (*start >= 'a' && *start <= 'z' && (start == s || !word_char(start[-1])))
                scheme = true;
        }
        if (!scheme)
            continue;
        while (*q != '\0' && *q != ':' && *q != '/' && *q != '@' && !regex_space(*q))
            q++;
        if (*q != ':' || q[1] == '\0' || q[1] == '@' || regex_space(q[1]))
            continue;
        for (q++; *q != '\0' && *q != '@' && !regex_space(*q); q++)
            ;
        if (*q == '@')
            return true;
    }
    return false;
}

/* Secrets.PASSWORD_PAIR found in s: (?i)password\s*[=:]\s*[^\s,;&'"]+ */
static bool password_pair(const char *s)
{
    const char *p;

    for (p = s; *p != '\0'; p++)
    {
        const char *q = p + 8;

        if (strncasecmp(p, "password", 8) != 0)
            continue;
        while (regex_space(*q))
            q++;
        if (*q != '=' && *q != ':')
            continue;
        for (q++; regex_space(*q); q++)
            ;
        if (*q != '\0' && !regex_space(*q) && strchr(",;&'\"", *q) == NULL)
            return true;
    }
    return false;
}

/*
 * FileAccess.settingsFileProblem, in the same words: a config file another user may change is
 * refused (it names the socket, so its writer could answer "stored" for WAL never stored), and so
 * is one holding a password that others may read (root may share it with a group, as 0640).
 */
static bool config_file_safe(const char *file, const struct stat *sb, bool holds_secret)
{
    unsigned long me = (unsigned long) geteuid();
    unsigned long owner = (unsigned long) sb->st_uid;
    unsigned mode = (unsigned) sb->st_mode & 07777;

    if (S_ISCHR(sb->st_mode))
        return true; /* /dev/null: root's, 0666, and no content anyone could rewrite */
    if (owner != me && owner != 0)
    {
        set_problem("'%s' is owned by uid %lu, not by this user (uid %lu) or root; run: chown %lu '%s'", file, owner,
                    me, me, file);
        return false;
    }
    if (holds_secret && ((mode & 0004) != 0 || ((mode & 0040) != 0 && owner != 0)))
    {
        if (owner == 0)
            set_problem("'%s' holds a password and is readable by others (mode %04o); run: chmod 640 '%s' and chgrp it "
                        "to a group of this user", file, mode, file);
        else
            set_problem("'%s' holds a password and is readable by others (mode %04o); run: chmod 600 '%s'", file, mode,
                        file);
        return false;
    }
    if ((mode & 0022) != 0)
    {
        set_problem("'%s' is writable by others (mode %04o); run: chmod go-w '%s'", file, mode, file);
        return false;
    }
    return true;
}

/* ConfigSource.parseLines: one "key = value" per line; # comments; a key once; known keys only. */
static bool read_config_file(config *c, FILE *in)
{
    static char seen[COUNT(CONFIG_KEYS)];
    char *line = NULL;
    size_t capacity = 0;
    ssize_t got;
    int number = 0;

    memset(seen, 0, sizeof(seen));
    while ((got = getline(&line, &capacity, in)) >= 0)
    {
        static char where[PATH_BYTES + 64];
        char *text;
        char *eq;
        char *name;
        char *value;
        size_t length;
        size_t i;

        number++;
        length = strlen(line);
        if (length != (size_t) got && *strip(line) != '#')
        {
            /* Java reads a NUL as a character; a C string would end there and hide the rest */
            set_problem("%s line %d: the line contains a NUL byte", c->file, number);
            free(line);
            return false;
        }
        snprintf(where, sizeof(where), "%s line %d", c->file, number);
        text = strip(line);
        if (*text == '\0' || *text == '#')
            continue;
        eq = strchr(text, '=');
        if (eq == NULL)
        {
            set_problem("%s: expected 'key = value', got '%s'", where, text);
            free(line);
            return false;
        }
        *eq = '\0';
        name = strip(text);
        value = strip(eq + 1);
        length = strlen(value);
        if (length >= 2 && value[0] == '"' && value[length - 1] == '"')
        {
            value[length - 1] = '\0';
            value++;
        }
        for (i = 0; i < COUNT(CONFIG_KEYS); i++)
            if (strcmp(CONFIG_KEYS[i], name) == 0)
                break;
        if (i == COUNT(CONFIG_KEYS))
        {
            set_problem("%s: unknown key '%s'", where, name);
            free(line);
            return false;
        }
        if (seen[i])
        {
            set_problem("%s: key '%s' is set twice", where, name);
            free(line);
            return false;
        }
        seen[i] = 1;
        if (url_password(value) || password_pair(value))
            c->holds_secret = true;
        if (!remember(c, name, value, where))
        {
            free(line);
            return false;
        }
    }
    free(line);
    if (ferror(in))
    {
        set_problem("cannot read config file '%s': %s", c->file, strerror(errno));
        return false;
    }
    return true;
}

/* ConfigSource.load: the file (when there is one), then WALDEN_* environment variables on top.
 * c must be all zeros (main's is static: zeroing it here would touch its 400 KiB page by page). */
static bool load_config(config *c, const char *file, bool must_exist)
{
    char **e;

    if (getcwd(c->base, sizeof(c->base)) == NULL)
    {
        set_problem("cannot determine the working directory: %s", strerror(errno));
        return false;
    }
    if (file != NULL)
    {
        static char absolute_file[PATH_BYTES];
        FILE *in;

        if (!absolute(file, absolute_file, sizeof(absolute_file)))
        {
            set_problem("config file '%s': the path is too long", file);
            return false;
        }
        in = fopen(absolute_file, "r");
        if (in == NULL && (errno != ENOENT || must_exist))
        {
            if (errno == ENOENT)
                set_problem("config file '%s' does not exist", absolute_file);
            else
                set_problem("cannot read config file '%s': %s", absolute_file, strerror(errno));
            return false;
        }
        if (in != NULL)
        {
            char *slash;
            bool read;

            copy(c->file, sizeof(c->file), absolute_file);
            copy(c->base, sizeof(c->base), absolute_file);
            slash = strrchr(c->base, '/');
            slash[slash == c->base ? 1 : 0] = '\0';
            read = read_config_file(c, in);
            if (read)
            {
                struct stat sb;

                if (fstat(fileno(in), &sb) != 0)
                {
                    set_problem("cannot read config file '%s': %s", c->file, strerror(errno));
                    read = false;
                }
                else
                    read = config_file_safe(c->file, &sb, c->holds_secret);
            }
            fclose(in);
            if (!read)
                return false;
        }
    }
    for (e = environ; *e != NULL; e++)
    {
        const char *entry = *e;
        const char *eq = strchr(entry, '=');
        size_t length = eq == NULL ? strlen(entry) : (size_t) (eq - entry);
        const char *key;
        char variable[256];
        static char value[PATH_BYTES];
        size_t i;
        bool reserved = false;

        if (strncmp(entry, "WALDEN_", 7) != 0 || eq == NULL)
            continue;
        snprintf(variable, sizeof(variable), "%.*s", (int) (length < 255 ? length : 255), entry);
        for (i = 0; i < COUNT(RESERVED_ENVIRONMENT); i++)
            if (strcmp(RESERVED_ENVIRONMENT[i], variable) == 0)
                reserved = true;
        if (reserved)
            continue;
        key = key_of_variable(entry, length);
        if (key == NULL)
        {
            set_problem("unknown environment variable %s: it matches no configuration key", variable);
            return false;
        }
        if (strlen(eq + 1) >= sizeof(value))
        {
            set_problem("environment variable %s: the value is longer than %zu bytes", variable, sizeof(value) - 1);
            return false;
        }
        memcpy(value, eq + 1, strlen(eq + 1) + 1);
        {
            char origin[300];

            snprintf(origin, sizeof(origin), "environment variable %s", variable);
            if (!remember(c, key, strip(value), origin))
                return false;
        }
    }
    return true;
}

/* Durations.parse: 1-9 digits then ms, s, m, h or d; positive. Milliseconds, or -1 with problem set. */
static int64_t parse_duration(const char *text_in, const char *key, const char *origin)
{
    const char *t = text_in;
    const char *end = text_in + strlen(text_in);
    const char *unit;
    size_t unit_length;
    int64_t n = 0;
    int digits = 0;
    int64_t ms;
    static char prefix[PATH_BYTES + 128];

    prefix[0] = '\0';
    if (key != NULL)
        snprintf(prefix, sizeof(prefix), "%s (%s): ", key, origin);
    /* strip without copying: a copy into a fixed buffer would cut the text and change its meaning */
    while (t < end && java_space(*t))
        t++;
    while (end > t && java_space(end[-1]))
        end--;
    for (unit = t; unit < end && isdigit((unsigned char) *unit) && digits < 10; unit++, digits++)
        n = n * 10 + (*unit - '0');
    if (digits == 0 || digits > 9)
        goto bad;
    unit_length = (size_t) (end - unit);
    if (unit_length == 2 && strncmp(unit, "ms", 2) == 0)
        ms = n;
    else if (unit_length == 1 && *unit == 's')
        ms = n * 1000;
    else if (unit_length == 1 && *unit == 'm')
        ms = n * 60 * 1000;
    else if (unit_length == 1 && *unit == 'h')
        ms = n * 3600 * 1000;
    else if (unit_length == 1 && *unit == 'd')
        ms = n * 86400 * 1000;
    else
        goto bad;
    if (ms == 0)
    {
        set_problem("%s'%s' is zero; a duration must be positive", prefix, text_in);
        return -1;
    }
    return ms;
bad:
    set_problem("%s'%s' is not a duration (examples: 500ms, 30s, 5m, 1h, 7d)", prefix, text_in);
    return -1;
}

/*
 * The configuration walden reads: --config, else $WALDEN_CONFIG, else the default file, which
 * alone may be missing. False, with problem set, when it can't be read or holds a bad line.
 */
static bool load_located_config(config *c, const char *config_flag)
{
    const char *from_env = getenv("WALDEN_CONFIG");

    if (config_flag != NULL)
        return load_config(c, config_flag, true);
    if (from_env != NULL && !is_blank(from_env))
        return load_config(c, from_env, true);
    return load_config(c, WALDEN_DEFAULT_CONFIG_FILE, false);
}

/*
 * agent.socket from the configuration, absolute (relative to the config file's directory) and
 * normalized, into out. False, with problem set, when it is not set or too long.
 */
static bool configured_socket(const config *c, char *out, size_t out_size)
{
    static char joined[2 * PATH_BYTES];

    if (!c->socket_set || c->socket[0] == '\0')
    {
        if (c->file[0] != '\0')
            set_problem("%s is required: set it in '%s' or in WALDEN_AGENT_SOCKET", WALDEN_KEY_AGENT_SOCKET,
                        c->file);
        else
            set_problem("%s is required: set it in the config file or in WALDEN_AGENT_SOCKET",
                        WALDEN_KEY_AGENT_SOCKET);
        return false;
    }
    if (c->socket[0] == '/')
        snprintf(joined, sizeof(joined), "%s", c->socket);
    else
        snprintf(joined, sizeof(joined), "%s/%s", c->base, c->socket);
    if (!copy(out, out_size, joined))
    {
        set_problem("%s (%s): the path is too long", WALDEN_KEY_AGENT_SOCKET, c->socket_origin);
        return false;
    }
    normalize(out);
    return true;
}

/* ---- walden-fetch: the same program, run under that name (bin/walden-fetch -> walden-push) ---- */

static const char FETCH_USAGE_TEXT[] =
    "usage: walden-fetch [--config FILE] [--socket PATH] [--timeout DURATION] NAME PATH\n"
    "\n"
    "PostgreSQL's restore_command through the walden agent: the agent reads NAME from the\n"
    "repository, verifies it, writes it to PATH and reads the next WAL segments ahead.\n"
    "Without a running agent (or for a PATH the agent will not write) it runs 'walden fetch'.\n"
    "In postgresql.conf:  restore_command = 'walden-fetch %f %p'\n"
    "\n"
    "  --socket PATH        agent socket (default: agent.socket from the configuration)\n"
    "  --config FILE        config file (default: $WALDEN_CONFIG, else /etc/walden/walden.conf)\n"
    "  --timeout DURATION   longest the fetch may take (default: fetch.timeout, 5m)\n"
    "  --version, --help\n"
    "\n"
    "exit codes (those of walden fetch): 0 written; 1 not in the archive; 200 bad arguments or\n"
    "            configuration; 201 the repository could not be read or PATH written;\n"
    "            202 the stored file is corrupt\n";

/*
 * Runs the JVM 'walden fetch' next to this program, in this process's place: it reads the
 * repository itself, so it works with no agent, and it says whatever is wrong in its own words
 * (a configuration error, a path the agent won't write) with the same exit codes.
 */
static int fetch_fallback(const char *config_flag, const char *name, const char *path)
{
    static char self[PATH_BYTES];
    static char launcher[PATH_BYTES + 16];
    const char *args[8];
    int a = 0;
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    char *slash;

    if (n <= 0)
    {
        fprintf(stderr, "walden fetch: cannot find walden next to walden-fetch: %s\n", strerror(errno));
        return WALDEN_FETCH_EXIT_IO_ERROR;
    }
    self[n] = '\0';
    slash = strrchr(self, '/');
    if (slash == NULL)
        return WALDEN_FETCH_EXIT_IO_ERROR;
    *slash = '\0';
    snprintf(launcher, sizeof(launcher), "%s/walden", self);
    args[a++] = launcher;
    args[a++] = "fetch";
    if (config_flag != NULL)
    {
        args[a++] = "--config";
        args[a++] = config_flag;
    }
    args[a++] = name;
    args[a++] = path;
    args[a] = NULL;
    fflush(stderr);
    execv(launcher, (char *const *) args);
    fprintf(stderr, "walden fetch: %s could not be started: %s\n", launcher, strerror(errno));
    return WALDEN_FETCH_EXIT_IO_ERROR;
}

static int fetch_main(int argc, char **argv)
{
    static config c;
    static char socket_path[PATH_BYTES];
    static char destination[PATH_BYTES];
    static uint8_t body[WALDEN_MAX_BODY_LENGTH];
    static walden_reply reply;
    static char message[MESSAGE_BYTES];
    static char text[WALDEN_MAX_BODY_LENGTH + 64];
    const char *config_flag = NULL;
    const char *socket_flag = NULL;
    const char *timeout_flag = NULL;
    const char *name = NULL;
    const char *path = NULL;
    int64_t timeout_ms;
    size_t name_length, length;
    walden_outcome outcome;
    unsigned code;
    int i;

    for (i = 1; i < argc; i++)
    {
        const char *arg = argv[i];

        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0)
        {
            fputs(FETCH_USAGE_TEXT, stdout);
            return fflush(stdout) == 0 ? 0 : WALDEN_FETCH_EXIT_IO_ERROR;
        }
        if (strcmp(arg, "--version") == 0)
        {
            printf("walden-fetch %s\n", WALDEN_VERSION);
            return fflush(stdout) == 0 ? 0 : WALDEN_FETCH_EXIT_IO_ERROR;
        }
        if (strcmp(arg, "--socket") == 0 || strcmp(arg, "--config") == 0 || strcmp(arg, "--timeout") == 0)
        {
            if (i + 1 >= argc)
            {
                fprintf(stderr, "walden fetch: %s needs a value (see walden-fetch --help)\n", arg);
                return WALDEN_FETCH_EXIT_USAGE;
            }
            if (strcmp(arg, "--socket") == 0)
                socket_flag = argv[++i];
            else if (strcmp(arg, "--config") == 0)
                config_flag = argv[++i];
            else
                timeout_flag = argv[++i];
        }
        else if (arg[0] == '-' && arg[1] != '\0')
        {
            fprintf(stderr, "walden fetch: unknown option '%s' (see walden-fetch --help)\n", arg);
            return WALDEN_FETCH_EXIT_USAGE;
        }
        else if (name == NULL)
            name = arg;
        else if (path == NULL)
            path = arg;
        else
        {
            fprintf(stderr, "walden fetch: expected NAME and PATH, got a third argument '%s'\n", arg);
            return WALDEN_FETCH_EXIT_USAGE;
        }
    }
    if (name == NULL || path == NULL)
    {
        fprintf(stderr, "walden fetch: expected NAME and PATH (restore_command = 'walden-fetch %%f %%p')\n");
        return WALDEN_FETCH_EXIT_USAGE;
    }
    /* anything this client can't settle itself (no agent configured, say), walden fetch settles,
     * with its own message */
    if (!load_located_config(&c, config_flag))
        return fetch_fallback(config_flag, name, path);
    if (socket_flag != NULL ? !absolute(socket_flag, socket_path, sizeof(socket_path))
                            : !configured_socket(&c, socket_path, sizeof(socket_path)))
        return fetch_fallback(config_flag, name, path);
    if (timeout_flag != NULL)
        timeout_ms = parse_duration(timeout_flag, NULL, NULL);
    else if (c.fetch_timeout_set && c.fetch_timeout != NULL && c.fetch_timeout[0] != '\0')
        timeout_ms = parse_duration(c.fetch_timeout, WALDEN_KEY_FETCH_TIMEOUT, c.fetch_timeout_origin);
    else
        timeout_ms = parse_duration(WALDEN_DEFAULT_FETCH_TIMEOUT, WALDEN_KEY_FETCH_TIMEOUT, "default");
    if (timeout_ms < 0)
        return fetch_fallback(config_flag, name, path);
    /* PostgreSQL runs restore_command in the data directory with %p relative to it */
    if (!absolute(path, destination, sizeof(destination)))
        return fetch_fallback(config_flag, name, path);
    normalize(destination);
    name_length = strlen(name);
    length = name_length + 1 + strlen(destination);
    if (length > sizeof(body))
        return fetch_fallback(config_flag, name, path);
    memcpy(body, name, name_length);
    body[name_length] = '\n';
    memcpy(body + name_length + 1, destination, strlen(destination));

    outcome = walden_exchange(socket_path, timeout_ms, WALDEN_FRAME_FETCH, body, length, &reply, message,
                              sizeof(message), NULL, NULL);
    if (outcome == WALDEN_NOT_RUNNING)
        return fetch_fallback(config_flag, name, path);
    if (outcome == WALDEN_TIMED_OUT)
    {
        fprintf(stderr, "walden fetch: '%s' not fetched within the timeout (fetch.timeout): %s\n", name, message);
        return WALDEN_FETCH_EXIT_IO_ERROR;
    }
    if (outcome != WALDEN_GOT_REPLY)
    {
        fprintf(stderr, "walden fetch: '%s' not fetched: %s\n", name, message);
        return WALDEN_FETCH_EXIT_IO_ERROR;
    }
    if (reply.type == WALDEN_FRAME_OK)
        return 0;
    if (!walden_error_text(&reply, text, sizeof(text)))
    {
        fprintf(stderr, "walden fetch: invalid reply from the agent: %s\n", text);
        return WALDEN_FETCH_EXIT_IO_ERROR;
    }
    code = (unsigned) reply.body[0] << 8 | reply.body[1];
    switch (code)
    {
        case 12: /* file_not_found: PostgreSQL probes for files that don't exist yet; say so only to a person */
            if (isatty(STDERR_FILENO))
                fprintf(stderr, "walden fetch: %s\n", text);
            return WALDEN_FETCH_EXIT_NOT_FOUND;
        case 19: /* corrupt_object */
            fprintf(stderr, "walden fetch: %s\n", text);
            return WALDEN_FETCH_EXIT_CORRUPT;
        case 10: /* bad_name */
            fprintf(stderr, "walden fetch: %s\n", text);
            return WALDEN_FETCH_EXIT_USAGE;
        case 4:  /* unknown_request: an agent older than FETCH */
        case 5:  /* bad_request: a path the agent does not write */
        case 22: /* overloaded */
        case 23: /* shutting_down */
        case 24: /* too_many_connections */
            return fetch_fallback(config_flag, name, path);
        default:
            fprintf(stderr, "walden fetch: %s\n", text);
            return WALDEN_FETCH_EXIT_IO_ERROR;
    }
}

int main(int argc, char **argv)
{
    static char socket_path[PATH_BYTES];
    static char wal_absolute[PATH_BYTES];
    static walden_reply reply;
    static char message[MESSAGE_BYTES];
    static config c;
    const char *socket_flag = NULL;
    const char *config_flag = NULL;
    const char *timeout_flag = NULL;
    const char *wal_path = NULL;
    bool ping = false, verbose = false, help = false, version = false;
    int64_t timeout_ms;
    walden_outcome outcome;
    int i;
    static char stderr_buffer[1 << 18];

    /* a closed stdout/stderr must not turn "archived" into death by SIGPIPE (the JVM ignores it) */
    signal(SIGPIPE, SIG_IGN);
    /* each message leaves in one write(), so it can't interleave with other output in the log */
    setvbuf(stderr, stderr_buffer, _IOFBF, sizeof(stderr_buffer));
    {
        const char *program = argc > 0 ? strrchr(argv[0], '/') : NULL;

        program = program != NULL ? program + 1 : argc > 0 ? argv[0] : "";
        if (strcmp(program, "walden-fetch") == 0)
            return fetch_main(argc, argv);
    }
    for (i = 1; i < argc; i++)
    {
        const char *arg = argv[i];

        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0)
            help = true;
        else if (strcmp(arg, "--version") == 0)
            version = true;
        else if (strcmp(arg, "--ping") == 0)
            ping = true;
        else if (strcmp(arg, "--verbose") == 0 || strcmp(arg, "-v") == 0)
            verbose = true;
        else if (strcmp(arg, "--socket") == 0 || strcmp(arg, "--config") == 0 || strcmp(arg, "--timeout") == 0)
        {
            if (i + 1 >= argc)
                return usage("%s needs a value", arg);
            if (strcmp(arg, "--socket") == 0)
                socket_flag = argv[++i];
            else if (strcmp(arg, "--config") == 0)
                config_flag = argv[++i];
            else
                timeout_flag = argv[++i];
        }
        else
        {
            if (arg[0] == '-' && strcmp(arg, "-") != 0)
                return usage("unknown option '%s'", arg);
            if (wal_path != NULL)
                return usage("expected one WAL path, got '%s' and '%s'", wal_path, arg);
            wal_path = arg;
        }
    }
    /* Exit 0 tells PostgreSQL the file is archived: with a path, only an actual push may say that. */
    if ((help || version || ping) && wal_path != NULL)
        return usage("%s takes no WAL path, got '%s'; nothing was archived",
                     help ? "--help" : version ? "--version" : "--ping", wal_path);
    if (help)
    {
        fputs(USAGE_TEXT, stdout);
        return fflush(stdout) == 0 ? WALDEN_EXIT_OK : WALDEN_EXIT_IO_ERROR;
    }
    if (version)
    {
        printf("walden-push %s\n", WALDEN_VERSION);
        return fflush(stdout) == 0 ? WALDEN_EXIT_OK : WALDEN_EXIT_IO_ERROR;
    }
    if (!ping && wal_path == NULL)
        return usage("no WAL path given (archive_command = 'walden-push %%p')");

    if (!load_located_config(&c, config_flag))
        goto config_error;
    if (socket_flag != NULL)
    {
        if (!absolute(socket_flag, socket_path, sizeof(socket_path)))
            return usage("'%s' is not a valid path", socket_flag);
    }
    else if (!configured_socket(&c, socket_path, sizeof(socket_path)))
        goto config_error;
    if (timeout_flag != NULL)
        timeout_ms = parse_duration(timeout_flag, NULL, NULL);
    else if (!c.timeout_set)
        timeout_ms = parse_duration(WALDEN_DEFAULT_PUSH_TIMEOUT, WALDEN_KEY_PUSH_TIMEOUT, "default");
    else if (c.timeout == NULL || c.timeout[0] == '\0')
    {
        set_problem("%s is required: set it in %s%s%s or in WALDEN_PUSH_TIMEOUT", WALDEN_KEY_PUSH_TIMEOUT,
                    c.file[0] ? "'" : "", c.file[0] ? c.file : "the config file", c.file[0] ? "'" : "");
        goto config_error;
    }
    else
        timeout_ms = parse_duration(c.timeout, WALDEN_KEY_PUSH_TIMEOUT, c.timeout_origin);
    if (timeout_ms < 0)
        goto config_error;

    if (ping)
        outcome = walden_exchange(socket_path, timeout_ms, WALDEN_FRAME_PING, NULL, 0, &reply, message,
                                  sizeof(message), NULL, NULL);
    else
    {
        /* PostgreSQL runs us in PGDATA with %p relative to it; the agent wants an absolute path. */
        if (!absolute(wal_path, wal_absolute, sizeof(wal_absolute))
            || strlen(wal_absolute) > WALDEN_MAX_BODY_LENGTH)
            return usage("'%s' is not a valid path", wal_path);
        outcome = walden_exchange(socket_path, timeout_ms, WALDEN_FRAME_PUSH, (const uint8_t *) wal_absolute,
                                  strlen(wal_absolute), &reply, message, sizeof(message), NULL, NULL);
    }
    if (outcome == WALDEN_GOT_REPLY && reply.type == WALDEN_FRAME_OK)
    {
        if (verbose)
        {
            fputs("walden-push: ", stdout);
            fwrite(reply.body, 1, reply.length, stdout);
            fputc('\n', stdout);
            fflush(stdout); /* the file is archived: a failed write can't change the exit code */
        }
        return WALDEN_EXIT_OK;
    }
    if (outcome == WALDEN_GOT_REPLY)
    {
        static char text[WALDEN_MAX_BODY_LENGTH + 64]; /* the whole message, as the Java client prints it */

        if (!walden_error_text(&reply, text, sizeof(text)))
        {
            fprintf(stderr, "walden-push: invalid reply from the agent: %s\n", text);
            return WALDEN_EXIT_PROTOCOL_ERROR;
        }
        if (wal_path == NULL)
            fprintf(stderr, "walden-push: %s\n", text);
        else
            fprintf(stderr, "walden-push: '%s' not archived: %s\n", wal_path, text);
        return WALDEN_EXIT_REFUSED;
    }
    if (wal_path == NULL)
        fprintf(stderr, "walden-push: %s\n", message);
    else
        fprintf(stderr, "walden-push: '%s' not archived: %s\n", wal_path, message);
    switch (outcome)
    {
        case WALDEN_NOT_RUNNING: return WALDEN_EXIT_AGENT_NOT_RUNNING;
        case WALDEN_TIMED_OUT: return WALDEN_EXIT_TIMEOUT;
        case WALDEN_PROTOCOL_FAILED: return WALDEN_EXIT_PROTOCOL_ERROR;
        default: return WALDEN_EXIT_IO_ERROR;
    }

config_error:
    fprintf(stderr, "walden-push: %s\n", problem);
    return WALDEN_EXIT_USAGE;
}
