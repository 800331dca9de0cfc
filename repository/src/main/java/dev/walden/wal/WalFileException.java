package dev.walden.wal;

import java.io.IOException;

/** A file that must not be archived, with the reason; the agent turns the reason into its wire code. */
public final class WalFileException extends IOException {
    private static final long serialVersionUID = 1L;

    /** Why a file is refused. */
    public enum Reason {
        /** Not a WAL, history, backup-history or partial file name, or not a regular file. */
        BAD_NAME,
        /** Not the size its kind of file must have. */
        BAD_SIZE,
        /** No valid WAL page header, or a history file that isn't one. */
        BAD_HEADER,
        /** WAL of another database system. */
        FOREIGN_SYSTEM,
        /** Outside the pg_wal directory served, or a symbolic link. */
        OUTSIDE_PG_WAL,
        /** Not there. */
        FILE_NOT_FOUND,
        /** Archived already, with other content. */
        DUPLICATE_DIFFERS,
        /** On a timeline whose history file is neither archived nor in pg_wal. */
        MISSING_HISTORY,
        /** Could not be read. */
        READ_FAILED
    }

    private final Reason reason;

    public WalFileException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
