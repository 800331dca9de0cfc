/*
 * One request to the walden agent over its Unix domain socket, for the C clients (walden-push and
 * the walden_archive module). The frame format is encoded and decoded here and nowhere else in C;
 * its constants are in walden_protocol.h. libc only, no allocation: the caller owns every buffer.
 */
#ifndef WALDEN_WIRE_H
#define WALDEN_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "walden_protocol.h"

/* How an exchange ended: with a final reply frame (OK or ERROR), or without one and why. The
 * kinds are those of the Java client's AgentClientException and map to the same exit codes. */
typedef enum
{
    WALDEN_GOT_REPLY = 0,
    WALDEN_NOT_RUNNING,
    WALDEN_TIMED_OUT,
    WALDEN_PROTOCOL_FAILED,
    WALDEN_IO_FAILED,
    WALDEN_ABORTED
} walden_outcome;

typedef struct
{
    int type;                                    /* WALDEN_FRAME_OK or WALDEN_FRAME_ERROR */
    size_t length;                               /* of body */
    uint8_t body[WALDEN_MAX_BODY_LENGTH + 1];    /* always NUL-terminated after length bytes */
} walden_reply;

/* Polled at least once a second while waiting; returning true gives up (WALDEN_ABORTED). */
typedef bool (*walden_abort_check)(void *arg);

/*
 * Writes the frame's bytes (header and body) to out, which holds out_size bytes. Returns the
 * frame's length, or 0 when the body is longer than WALDEN_MAX_BODY_LENGTH or out is too small.
 */
size_t walden_encode(uint8_t *out, size_t out_size, int type, const uint8_t *body, size_t length);

/*
 * Connects to socket_path, sends one request and reads frames until the final reply, skipping
 * PROGRESS and METER frames (each restarts the timeout, as in the Java client). Connecting,
 * sending and waiting all count against timeout_ms. On anything but WALDEN_GOT_REPLY, message
 * (message_size bytes, always terminated) says what happened in one line, worded as the Java
 * client words it. abort_check may be NULL.
 */
walden_outcome walden_exchange(const char *socket_path, int64_t timeout_ms, int type, const uint8_t *body,
                               size_t length, walden_reply *reply, char *message, size_t message_size,
                               walden_abort_check abort_check, void *abort_arg);

/*
 * Formats an ERROR reply as the Java client prints it: the message made one line, then the code's
 * name in brackets ("... [storage_timeout]", or "[error 77]" for a code this version doesn't know).
 * Returns false, with the reason in out, when the body is too short to hold a code.
 */
bool walden_error_text(const walden_reply *reply, char *out, size_t out_size);

/* "30s" or "1500ms", as the Java client formats its timeout in messages. */
void walden_format_millis(int64_t millis, char *out, size_t out_size);

#endif
