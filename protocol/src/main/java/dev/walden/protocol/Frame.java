package dev.walden.protocol;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * One protocol frame: a type and an opaque body. Encoding and decoding live in
 * {@link FrameCodec}; the meaning of each body lives with the message types
 * ({@link PushRequest}, {@link ErrorReply}, {@link StatusReply}).
 */
public final class Frame {
    private static final byte[] EMPTY = new byte[0];

    private final FrameType type;
    private final byte[] body;

    public Frame(FrameType type, byte[] body) {
        this.type = Objects.requireNonNull(type, "type");
        this.body = body == null ? EMPTY : body;
        if (this.body.length > FrameCodec.MAX_BODY_LENGTH) {
            throw new IllegalArgumentException("frame body of " + this.body.length
                    + " bytes exceeds the maximum of " + FrameCodec.MAX_BODY_LENGTH);
        }
    }

    public static Frame of(FrameType type) {
        return new Frame(type, EMPTY);
    }

    public static Frame ok(String message) {
        return new Frame(FrameType.OK, message.getBytes(StandardCharsets.UTF_8));
    }

    public FrameType type() {
        return type;
    }

    /** The body; callers must not modify it. */
    public byte[] body() {
        return body;
    }

    public String bodyText() {
        return new String(body, StandardCharsets.UTF_8);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Frame other && type == other.type && Arrays.equals(body, other.body);
    }

    @Override
    public int hashCode() {
        return 31 * type.hashCode() + Arrays.hashCode(body);
    }

    @Override
    public String toString() {
        return "Frame[" + type + ", " + body.length + " bytes]";
    }
}
