package dev.walden.protocol;

/**
 * The kinds of frame in protocol version 1. Requests have the high bit clear, replies have it set.
 * The numeric values are part of the wire format (see {@code docs/protocol.md}) and never change
 * meaning within a protocol version.
 */
public enum FrameType {
    /** Archive one WAL file. Body: the file's absolute path, UTF-8. Reply: OK or ERROR. */
    PUSH(0x01),
    /** Liveness check. Empty body. Reply: OK with an empty body. */
    PING(0x02),
    /** Agent state. Empty body. Reply: OK whose body is {@code key=value} lines, UTF-8. */
    STATUS(0x03),
    /**
     * Take a base backup now. Body: who asks, UTF-8, for the audit trail (may be empty). Replies: any number of PROGRESS and METER frames (at
     * least one every 30 seconds while the backup runs), then OK with a one-line summary, or ERROR.
     */
    BACKUP(0x04),
    /**
     * {@code walden fetch} tells the agent what one fetch came to, for its metrics. Body: see
     * {@link FetchNotice}. Reply: OK; the sender ignores the answer and every failure.
     */
    FETCHED(0x05),
    /**
     * Fetch one archived file for restore_command. Body: see {@link FetchRequest}. Reply: OK once
     * the verified file is at the path; ERROR {@code file_not_found} when the repository does not
     * hold it, {@code corrupt_object} when the stored copy fails verification.
     */
    FETCH(0x06),
    /** Success. Body: a short UTF-8 message, possibly empty. */
    OK(0x80),
    /** Failure. Body: error code (u16, big-endian) followed by a one-line UTF-8 message. */
    ERROR(0x81),
    /** A progress line of a long request (BACKUP), UTF-8; the final OK or ERROR follows later. */
    PROGRESS(0x82),
    /** Progress of a long request in numbers ({@link Meter}); like PROGRESS, the final reply follows later. */
    METER(0x83);

    private final int code;

    FrameType(int code) {
        this.code = code;
    }

    /** The type byte on the wire. */
    public int code() {
        return code;
    }

    public boolean isRequest() {
        return (code & 0x80) == 0;
    }

    /**
     * Returns the frame type for a type byte.
     *
     * @throws ProtocolException with {@link ErrorCode#UNKNOWN_REQUEST} if no such type exists
     */
    public static FrameType fromCode(int code) throws ProtocolException {
        for (FrameType type : values()) {
            if (type.code == code) {
                return type;
            }
        }
        throw new ProtocolException(ErrorCode.UNKNOWN_REQUEST,
                String.format("unknown frame type 0x%02x", code));
    }
}
