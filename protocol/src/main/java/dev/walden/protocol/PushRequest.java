package dev.walden.protocol;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * PUSH: archive the WAL file at {@code path}. The client sends the absolute path of PostgreSQL's
 * {@code %p}; the agent decides whether it lies inside the pg_wal it serves.
 */
public record PushRequest(String path) {
    /** PATH_MAX on Linux; a longer path can't name a file PostgreSQL wrote. */
    public static final int MAX_PATH_BYTES = 4096;

    public PushRequest {
        if (path == null || path.isEmpty()) {
            throw new IllegalArgumentException("path is empty");
        }
    }

    public Frame toFrame() {
        return new Frame(FrameType.PUSH, path.getBytes(StandardCharsets.UTF_8));
    }

    /** Parses a PUSH body: a non-empty UTF-8 path without NUL bytes, at most 4096 bytes. */
    public static PushRequest fromFrame(Frame frame) throws ProtocolException {
        if (frame.type() != FrameType.PUSH) {
            throw new ProtocolException(ErrorCode.BAD_REQUEST, "expected a PUSH frame, got " + frame.type());
        }
        byte[] body = frame.body();
        if (body.length == 0) {
            throw new ProtocolException(ErrorCode.BAD_REQUEST, "PUSH without a path");
        }
        if (body.length > MAX_PATH_BYTES) {
            throw new ProtocolException(ErrorCode.BAD_REQUEST,
                    "PUSH path of " + body.length + " bytes is longer than " + MAX_PATH_BYTES);
        }
        for (byte b : body) {
            if (b == 0) {
                throw new ProtocolException(ErrorCode.BAD_REQUEST, "PUSH path contains a NUL byte");
            }
        }
        try {
            String path = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(body))
                    .toString();
            return new PushRequest(path);
        } catch (CharacterCodingException e) {
            throw new ProtocolException(ErrorCode.BAD_REQUEST, "PUSH path is not valid UTF-8");
        }
    }
}
