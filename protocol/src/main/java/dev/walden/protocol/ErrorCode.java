package dev.walden.protocol;

/**
 * Every error code an ERROR reply can carry, declared once. The number is what travels on the
 * wire; the message that travels with it says what exactly was wrong. Numbers are never reused.
 */
public enum ErrorCode {
    // framing: the connection is closed after these, because the byte stream can't be trusted
    BAD_FRAME(1, "malformed frame"),
    UNSUPPORTED_VERSION(2, "unsupported protocol version"),
    FRAME_TOO_LARGE(3, "frame too large"),
    UNKNOWN_REQUEST(4, "unknown request type"),
    BAD_REQUEST(5, "malformed request body"),
    FRAME_TIMEOUT(6, "frame not complete in time"),

    // the file asked for: PostgreSQL will retry, and an operator must look
    BAD_NAME(10, "not a WAL file name"),
    OUTSIDE_PG_WAL(11, "file is not inside pg_wal"),
    FILE_NOT_FOUND(12, "file not found"),
    BAD_SIZE(13, "wrong file size"),
    BAD_HEADER(14, "invalid WAL page header"),
    FOREIGN_SYSTEM(15, "WAL belongs to another database system"),
    DUPLICATE_DIFFERS(16, "already archived with different content"),
    READ_FAILED(17, "cannot read the file in pg_wal"),
    MISSING_HISTORY(18, "the history file of the file's timeline is not archived"),
    CORRUPT_OBJECT(19, "the stored copy failed verification"),

    // the agent or its storage
    STORAGE_FAILED(20, "storage failed"),
    STORAGE_TIMEOUT(21, "storage did not answer in time"),
    OVERLOADED(22, "agent queue full"),
    SHUTTING_DOWN(23, "agent shutting down"),
    TOO_MANY_CONNECTIONS(24, "agent has too many connections"),

    // jobs
    BACKUP_FAILED(30, "base backup failed"),
    INTERNAL(99, "internal error");

    private final int code;
    private final String summary;

    ErrorCode(int code, String summary) {
        this.code = code;
        this.summary = summary;
    }

    /** The number on the wire (u16). */
    public int code() {
        return code;
    }

    /**
     * The code's name as docs/protocol.md and the agent's metrics ({@code reason} label) spell it:
     * {@code storage_timeout}.
     */
    public String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** A few words saying what the code means, for documentation and unknown-message fallbacks. */
    public String summary() {
        return summary;
    }

    /** Returns the code with that number, or {@code null} if this version doesn't know it. */
    public static ErrorCode fromCode(int code) {
        for (ErrorCode value : values()) {
            if (value.code == code) {
                return value;
            }
        }
        return null;
    }
}
