package dev.walden.protocol;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * FETCHED: what one {@code walden fetch} (PostgreSQL's restore_command) came to, sent to the agent
 * so that fetches show in its metrics. The body is the WAL file name and the result, separated by
 * one space, UTF-8: {@code 000000010000000000000003 found}.
 *
 * @param walName the file PostgreSQL asked for ({@code %f}): 1–255 printable ASCII characters, no space
 */
public record FetchNotice(String walName, Result result) {
    /** Longer than any WAL, history or backup-label file name; a bound so the body stays small. */
    public static final int MAX_NAME_LENGTH = 255;

    /** The outcome, as its wire word. */
    public enum Result {
        /** The file was written where PostgreSQL asked. */
        FOUND,
        /** The repository does not hold it (PostgreSQL's normal end of archived WAL). */
        MISSING,
        /** A real error: the repository could not be read, the object was corrupt, the file not written. */
        FAILED;

        /** The word on the wire, which is also the metric label. */
        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public FetchNotice {
        if (!validName(walName)) {
            throw new IllegalArgumentException("'" + walName + "' is not a file name a fetch can report");
        }
        if (result == null) {
            throw new IllegalArgumentException("result is missing");
        }
    }

    private static boolean validName(String name) {
        if (name == null || name.isEmpty() || name.length() > MAX_NAME_LENGTH) {
            return false;
        }
        return name.chars().allMatch(c -> c > ' ' && c < 0x7F);
    }

    public Frame toFrame() {
        return new Frame(FrameType.FETCHED, (walName + " " + result.wireName()).getBytes(StandardCharsets.UTF_8));
    }

    /** Parses a FETCHED body; anything else is {@link ErrorCode#BAD_REQUEST}. */
    public static FetchNotice fromFrame(Frame frame) throws ProtocolException {
        if (frame.type() != FrameType.FETCHED) {
            throw new ProtocolException(ErrorCode.BAD_REQUEST, "expected a FETCHED frame, got " + frame.type());
        }
        String body;
        try {
            body = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(frame.body())).toString();
        } catch (CharacterCodingException e) {
            throw new ProtocolException(ErrorCode.BAD_REQUEST, "FETCHED body is not valid UTF-8");
        }
        int space = body.indexOf(' ');
        if (space < 0) {
            throw new ProtocolException(ErrorCode.BAD_REQUEST, "FETCHED body is not '<name> <result>'");
        }
        String name = body.substring(0, space);
        String word = body.substring(space + 1);
        Result result = null;
        for (Result r : Result.values()) {
            if (r.wireName().equals(word)) {
                result = r;
            }
        }
        if (result == null) {
            throw new ProtocolException(ErrorCode.BAD_REQUEST, "FETCHED result '" + ErrorReply.oneLine(word)
                    + "' is not found, missing or failed");
        }
        if (!validName(name)) {
            throw new ProtocolException(ErrorCode.BAD_REQUEST, "FETCHED name '" + ErrorReply.oneLine(name)
                    + "' is empty, too long or not printable ASCII");
        }
        return new FetchNotice(name, result);
    }
}
