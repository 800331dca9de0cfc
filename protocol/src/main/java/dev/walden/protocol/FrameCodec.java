package dev.walden.protocol;

import java.nio.ByteBuffer;

/**
 * The one place where frames are turned into bytes and back.
 *
 * <pre>
 * offset  size  field
 *      0     2  magic 'W' 'L' (0x57 0x4C)
 *      2     1  protocol version (1)
 *      3     1  frame type ({@link FrameType})
 *      4     4  body length, unsigned big-endian, at most {@link #MAX_BODY_LENGTH}
 *      8     n  body
 * </pre>
 *
 * The 8-byte header layout is frozen across protocol versions, so a peer speaking another version
 * can always read the ERROR reply that says so.
 */
public final class FrameCodec {
    public static final byte MAGIC_0 = 'W';
    public static final byte MAGIC_1 = 'L';
    public static final int VERSION = 1;
    public static final int HEADER_LENGTH = 8;
    /** Bodies are paths and short messages; 64 KiB is far above any legitimate frame. */
    public static final int MAX_BODY_LENGTH = 64 * 1024;

    private FrameCodec() {
    }

    /** Returns the frame's bytes, header included. */
    public static byte[] encode(Frame frame) {
        byte[] body = frame.body();
        ByteBuffer out = ByteBuffer.allocate(HEADER_LENGTH + body.length);
        out.put(MAGIC_0).put(MAGIC_1).put((byte) VERSION).put((byte) frame.type().code());
        out.putInt(body.length);
        out.put(body);
        return out.array();
    }

    /**
     * Decodes one frame from the buffer's remaining bytes.
     *
     * <p>Returns {@code null} and leaves the position unchanged when the buffer doesn't yet hold a
     * whole frame. On success the position moves past the frame. The header is checked as soon as
     * its 8 bytes are present, so a bad or oversized frame is refused without waiting for its
     * body.
     *
     * @throws ProtocolException on a bad magic, another protocol version, an unknown type or a
     *     body longer than {@link #MAX_BODY_LENGTH}; the stream can't be resynchronised after that
     */
    public static Frame decode(ByteBuffer in) throws ProtocolException {
        if (in.remaining() < HEADER_LENGTH) {
            checkMagicPrefix(in);
            return null;
        }
        int start = in.position();
        checkMagicPrefix(in);
        int version = in.get(start + 2) & 0xFF;
        if (version != VERSION) {
            throw new ProtocolException(ErrorCode.UNSUPPORTED_VERSION,
                    "unsupported protocol version " + version + " (this side speaks " + VERSION + ")");
        }
        FrameType type = FrameType.fromCode(in.get(start + 3) & 0xFF);
        long length = in.getInt(start + 4) & 0xFFFFFFFFL;
        if (length > MAX_BODY_LENGTH) {
            throw new ProtocolException(ErrorCode.FRAME_TOO_LARGE,
                    "frame body of " + length + " bytes exceeds the maximum of " + MAX_BODY_LENGTH);
        }
        if (in.remaining() < HEADER_LENGTH + length) {
            return null;
        }
        byte[] body = new byte[(int) length];
        in.position(start + HEADER_LENGTH);
        in.get(body);
        return new Frame(type, body);
    }

    // Checks whatever part of the magic has arrived, so garbage is refused from its first byte.
    private static void checkMagicPrefix(ByteBuffer in) throws ProtocolException {
        int start = in.position();
        int available = Math.min(2, in.remaining());
        for (int i = 0; i < available; i++) {
            byte expected = i == 0 ? MAGIC_0 : MAGIC_1;
            byte actual = in.get(start + i);
            if (actual != expected) {
                throw new ProtocolException(ErrorCode.BAD_FRAME,
                        String.format("bad frame magic: byte %d is 0x%02x, expected 0x%02x", i, actual & 0xFF,
                                expected & 0xFF));
            }
        }
    }
}
