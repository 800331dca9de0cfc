package dev.walden.protocol;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * FETCH: restore_command's work, done by the agent. Body: PostgreSQL's {@code %f} (the archived
 * file's name), a newline, then the absolute path of its {@code %p}, UTF-8. The agent checks the
 * name and the destination; the client only maps the reply to restore_command's exit codes.
 */
public record FetchRequest(String name, String path) {
    /** A WAL file, history or backup-history name is far shorter; anything longer is not one. */
    public static final int MAX_NAME_BYTES = 64;

    public FetchRequest {
        if (name == null || name.isEmpty() || name.contains("\n")) {
            throw new IllegalArgumentException("name is empty or holds a newline");
        }
        if (path == null || path.isEmpty()) {
            throw new IllegalArgumentException("path is empty");
        }
    }

    public Frame toFrame() {
        return new Frame(FrameType.FETCH, (name + "\n" + path).getBytes(StandardCharsets.UTF_8));
    }

    /** Parses a FETCH body: NAME, a newline, PATH; valid UTF-8 without NUL bytes, bounded. */
    public static FetchRequest fromFrame(Frame frame) throws ProtocolException {
        if (frame.type() != FrameType.FETCH) {
            throw new ProtocolException(ErrorCode.BAD_REQUEST, "expected a FETCH frame, got " + frame.type());
        }
        byte[] body = frame.body();
        if (body.length > MAX_NAME_BYTES + 1 + PushRequest.MAX_PATH_BYTES) {
            throw new ProtocolException(ErrorCode.BAD_REQUEST, "FETCH body of " + body.length + " bytes is too long");
        }
        for (byte b : body) {
            if (b == 0) {
                throw new ProtocolException(ErrorCode.BAD_REQUEST, "FETCH body contains a NUL byte");
            }
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(body)).toString();
        } catch (CharacterCodingException e) {
            throw new ProtocolException(ErrorCode.BAD_REQUEST, "FETCH body is not valid UTF-8");
        }
        int newline = text.indexOf('\n');
        if (newline <= 0 || newline == text.length() - 1 || text.indexOf('\n', newline + 1) >= 0) {
            throw new ProtocolException(ErrorCode.BAD_REQUEST, "FETCH body is not NAME, a newline, PATH");
        }
        if (newline > MAX_NAME_BYTES) {
            throw new ProtocolException(ErrorCode.BAD_REQUEST, "FETCH name is longer than " + MAX_NAME_BYTES + " bytes");
        }
        return new FetchRequest(text.substring(0, newline), text.substring(newline + 1));
    }
}
