/*
 * walden_archive: a PostgreSQL archive module (PostgreSQL 15 and later) that hands each finished
 * WAL file to the walden agent over its Unix socket, as walden-push does, but from inside
 * PostgreSQL's archiver process: no process is started per file.
 *
 *   archive_mode = on
 *   archive_library = 'walden_archive'        # or the .so file's absolute path
 *   walden.socket = '/run/walden/agent.sock'  # the agent's agent.socket
 *   walden.timeout = 60s                      # like push.timeout
 *
 * The archiver is told "archived" only when the agent acknowledged that the file is durably
 * stored. Every other outcome is a WARNING with the same one-line reason walden-push prints, and
 * "not archived": PostgreSQL keeps the file and retries, exactly as for a failed archive_command.
 * Errors are never raised (an ERROR in the PostgreSQL 15 archiver would restart it).
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "postmaster/interrupt.h"
#include "storage/pmsignal.h"
#include "utils/guc.h"

#if PG_VERSION_NUM >= 160000
#include "archive/archive_module.h"
#else
#include "postmaster/pgarch.h"
#endif

#include "walden_wire.h"

PG_MODULE_MAGIC;

PGDLLEXPORT void _PG_init(void);

static char *walden_socket = NULL;
static int walden_timeout_ms = 60000;

/* The archiver stops waiting for the agent when it is asked to shut down or the postmaster died. */
static bool archiver_stopping(void *arg)
{
    (void) arg;
    return ShutdownRequestPending || !PostmasterIsAlive();
}

static bool walden_configured(void)
{
    if (walden_socket != NULL && walden_socket[0] == '/')
        return true;
    if (walden_socket != NULL && walden_socket[0] != '\0')
        ereport(WARNING, (errmsg("walden.socket = '%s' is not an absolute path", walden_socket),
                          errhint("Set walden.socket to the agent's agent.socket, e.g. '/run/walden/agent.sock'.")));
    return false;
}

static bool walden_archive_file(const char *file, const char *path)
{
    static walden_reply reply;
    static char message[WALDEN_MAX_BODY_LENGTH + 64];
    char absolute[MAXPGPATH * 2];
    walden_outcome outcome;
    int length;

    /* the archiver passes pg_wal/<file>, relative to the data directory it runs in */
    if (path[0] == '/')
        length = snprintf(absolute, sizeof(absolute), "%s", path);
    else
        length = snprintf(absolute, sizeof(absolute), "%s/%s", DataDir, path);
    if (length < 0 || (size_t) length >= sizeof(absolute))
    {
        ereport(WARNING, (errmsg("walden_archive: \"%s\" not archived: its path is too long", path)));
        return false;
    }
    outcome = walden_exchange(walden_socket, walden_timeout_ms, WALDEN_FRAME_PUSH, (const uint8 *) absolute,
                              (size_t) length, &reply, message, sizeof(message), archiver_stopping, NULL);
    if (outcome == WALDEN_GOT_REPLY && reply.type == WALDEN_FRAME_OK)
    {
        ereport(DEBUG1, (errmsg("walden_archive: \"%s\" archived: %s", file, (const char *) reply.body)));
        return true;
    }
    if (outcome == WALDEN_GOT_REPLY)
    {
        if (walden_error_text(&reply, message, sizeof(message)))
            ereport(WARNING, (errmsg("walden_archive: \"%s\" not archived: %s", file, message)));
        else
            ereport(WARNING, (errmsg("walden_archive: \"%s\" not archived: invalid reply from the agent: %s",
                                     file, message)));
        return false;
    }
    ereport(WARNING, (errmsg("walden_archive: \"%s\" not archived: %s", file, message),
                      outcome == WALDEN_NOT_RUNNING
                          ? errhint("Start the walden agent (walden agent --config ...) or check walden.socket.")
                          : 0));
    return false;
}

void _PG_init(void)
{
    DefineCustomStringVariable("walden.socket",
                               "The walden agent's Unix socket (its agent.socket).",
                               NULL, &walden_socket, "", PGC_SIGHUP, 0, NULL, NULL, NULL);
    DefineCustomIntVariable("walden.timeout",
                            "How long to wait for the walden agent to store one WAL file (like push.timeout).",
                            NULL, &walden_timeout_ms, 60000, 1, PG_INT32_MAX, PGC_SIGHUP, GUC_UNIT_MS, NULL, NULL,
                            NULL);
    MarkGUCPrefixReserved("walden");
}

#if PG_VERSION_NUM >= 160000

static bool walden_check_configured_16(ArchiveModuleState *state)
{
    (void) state;
    return walden_configured();
}

static bool walden_archive_file_16(ArchiveModuleState *state, const char *file, const char *path)
{
    (void) state;
    return walden_archive_file(file, path);
}

static const ArchiveModuleCallbacks walden_callbacks = {
    .startup_cb = NULL,
    .check_configured_cb = walden_check_configured_16,
    .archive_file_cb = walden_archive_file_16,
    .shutdown_cb = NULL,
};

PGDLLEXPORT const ArchiveModuleCallbacks *_PG_archive_module_init(void);

const ArchiveModuleCallbacks *_PG_archive_module_init(void)
{
    return &walden_callbacks;
}

#else

PGDLLEXPORT void _PG_archive_module_init(ArchiveModuleCallbacks *cb);

void _PG_archive_module_init(ArchiveModuleCallbacks *cb)
{
    cb->check_configured_cb = walden_configured;
    cb->archive_file_cb = walden_archive_file;
    cb->shutdown_cb = NULL;
}

#endif
