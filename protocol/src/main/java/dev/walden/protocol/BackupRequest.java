package dev.walden.protocol;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * BACKUP: a base backup now. The body is an optional first line {@code type=full} or
 * {@code type=incr}, then who asks (for the audit trail), UTF-8:
 * {@code type=incr\nwalden backup by alice (pid 4242)}. A body without the type line (a client
 * from before incremental backups) asks for a full backup.
 *
 * @param type the backup type's word: {@code full} or {@code incr}
 * @param requester who asks, as the client says; only as trustworthy as the socket's permissions,
 *     kept to one printable line of at most 200 characters; empty when the client did not say
 */
public record BackupRequest(String type, String requester) {
    public static final String FULL = "full";
    public static final String INCREMENTAL = "incr";
    private static final String TYPE_LINE = "type=";
    private static final int MAX_REQUESTER = 200;

    public BackupRequest {
        if (!FULL.equals(type) && !INCREMENTAL.equals(type)) {
            throw new IllegalArgumentException("backup type '" + type + "' is neither full nor incr");
        }
        requester = oneLine(requester);
    }

    public Frame toFrame() {
        return new Frame(FrameType.BACKUP, (TYPE_LINE + type + "\n" + requester).getBytes(StandardCharsets.UTF_8));
    }

    /** Parses a BACKUP body; an unknown type is {@link ErrorCode#BAD_REQUEST}. */
    public static BackupRequest fromFrame(Frame frame) throws ProtocolException {
        if (frame.type() != FrameType.BACKUP) {
            throw new ProtocolException(ErrorCode.BAD_REQUEST, "expected a BACKUP frame, got " + frame.type());
        }
        String body = frame.bodyText();
        if (!body.startsWith(TYPE_LINE)) {
            return new BackupRequest(FULL, body);
        }
        int newline = body.indexOf('\n');
        String type = (newline < 0 ? body : body.substring(0, newline)).substring(TYPE_LINE.length())
                .toLowerCase(Locale.ROOT);
        if (!FULL.equals(type) && !INCREMENTAL.equals(type)) {
            throw new ProtocolException(ErrorCode.BAD_REQUEST, "BACKUP type '" + ErrorReply.oneLine(type)
                    + "' is neither full nor incr");
        }
        return new BackupRequest(type, newline < 0 ? "" : body.substring(newline + 1));
    }

    private static String oneLine(String text) {
        String line = text == null ? "" : text.replaceAll("\\p{Cntrl}", " ").strip();
        return line.length() > MAX_REQUESTER ? line.substring(0, MAX_REQUESTER) : line;
    }
}
