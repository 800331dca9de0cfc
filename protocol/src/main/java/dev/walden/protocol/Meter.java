package dev.walden.protocol;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * A METER frame: progress of a long request in numbers, so the client can draw a bar with rate
 * and ETA. Body: bytes done (u64), bytes in all (u64, 0 = unknown), items done (u32), items in
 * all (u32), then the phase ({@code copying}) and the item unit ({@code files}), UTF-8, separated
 * by one NUL byte. All big-endian.
 */
public record Meter(String phase, String unit, long bytesDone, long bytesTotal, long itemsDone, long itemsTotal) {
    private static final int FIXED = 8 + 8 + 4 + 4;

    public Frame toFrame() {
        byte[] text = (phase + '\0' + unit).getBytes(StandardCharsets.UTF_8);
        ByteBuffer body = ByteBuffer.allocate(FIXED + text.length);
        body.putLong(bytesDone).putLong(bytesTotal).putInt((int) itemsDone).putInt((int) itemsTotal).put(text);
        return new Frame(FrameType.METER, body.array());
    }

    /** @throws ProtocolException when the frame is not a well-formed METER */
    public static Meter fromFrame(Frame frame) throws ProtocolException {
        byte[] body = frame.body();
        if (frame.type() != FrameType.METER || body.length < FIXED) {
            throw new ProtocolException(ErrorCode.BAD_FRAME, "malformed METER frame of " + body.length + " bytes");
        }
        ByteBuffer in = ByteBuffer.wrap(body);
        long bytesDone = in.getLong();
        long bytesTotal = in.getLong();
        long itemsDone = Integer.toUnsignedLong(in.getInt());
        long itemsTotal = Integer.toUnsignedLong(in.getInt());
        String text = new String(body, FIXED, body.length - FIXED, StandardCharsets.UTF_8);
        int nul = text.indexOf('\0');
        if (nul < 0) {
            throw new ProtocolException(ErrorCode.BAD_FRAME, "malformed METER frame: no unit");
        }
        return new Meter(text.substring(0, nul), text.substring(nul + 1), bytesDone, bytesTotal, itemsDone, itemsTotal);
    }
}
