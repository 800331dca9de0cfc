package dev.walden.protocol;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * ERROR: a code and a one-line message. The client prints the message, so it ends up in the
 * PostgreSQL log; it must say what was wrong without the reader needing the agent's log.
 *
 * @param code the number on the wire; {@link #knownCode()} maps it when this version knows it
 */
public record ErrorReply(int code, String message) {
    public ErrorReply {
        message = oneLine(message);
    }

    public ErrorReply(ErrorCode code, String message) {
        this(code.code(), message);
    }

    public ErrorCode knownCode() {
        return ErrorCode.fromCode(code);
    }

    public Frame toFrame() {
        byte[] text = message.getBytes(StandardCharsets.UTF_8);
        int length = Math.min(text.length, FrameCodec.MAX_BODY_LENGTH - 2);
        ByteBuffer body = ByteBuffer.allocate(2 + length);
        body.putShort((short) code);
        body.put(text, 0, length);
        return new Frame(FrameType.ERROR, body.array());
    }

    public static ErrorReply fromFrame(Frame frame) throws ProtocolException {
        if (frame.type() != FrameType.ERROR) {
            throw new ProtocolException(ErrorCode.BAD_REQUEST, "expected an ERROR frame, got " + frame.type());
        }
        byte[] body = frame.body();
        if (body.length < 2) {
            throw new ProtocolException(ErrorCode.BAD_FRAME, "ERROR frame of " + body.length
                    + " bytes has no error code");
        }
        int code = ((body[0] & 0xFF) << 8) | (body[1] & 0xFF);
        return new ErrorReply(code, new String(body, 2, body.length - 2, StandardCharsets.UTF_8));
    }

    /** The message with line breaks and other control characters replaced, so it stays one line. */
    static String oneLine(String message) {
        if (message == null) {
            return "";
        }
        StringBuilder sb = new StringBuilder(message.length());
        for (int i = 0; i < message.length(); i++) {
            char c = message.charAt(i);
            sb.append(Character.isISOControl(c) ? ' ' : c);
        }
        return sb.toString().strip();
    }

    @Override
    public String toString() {
        ErrorCode known = knownCode();
        return message + " [" + (known == null ? "error " + code : known.wireName()) + "]";
    }
}
