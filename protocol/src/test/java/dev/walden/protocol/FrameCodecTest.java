package dev.walden.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class FrameCodecTest {

    @Test
    void roundTripsEveryFrameType() throws Exception {
        for (FrameType type : FrameType.values()) {
            Frame frame = new Frame(type, ("body of " + type).getBytes(StandardCharsets.UTF_8));
            ByteBuffer bytes = ByteBuffer.wrap(FrameCodec.encode(frame));
            assertEquals(frame, FrameCodec.decode(bytes));
            assertEquals(0, bytes.remaining(), "decode consumes exactly one frame");
        }
    }

    @Test
    void headerLayoutIsAsDocumented() {
        byte[] bytes = FrameCodec.encode(new Frame(FrameType.PUSH, new byte[] {'a', 'b', 'c'}));
        assertArrayEquals(new byte[] {'W', 'L', 1, 0x01, 0, 0, 0, 3, 'a', 'b', 'c'}, bytes);
    }

    @Test
    void returnsNullUntilTheWholeFrameArrivesOneByteAtATime() throws Exception {
        byte[] bytes = FrameCodec.encode(new PushRequest("/pg/pg_wal/000000010000000000000001").toFrame());
        ByteBuffer buffer = ByteBuffer.allocate(bytes.length);
        for (int i = 0; i < bytes.length - 1; i++) {
            buffer.put(bytes[i]);
            buffer.flip();
            assertNull(FrameCodec.decode(buffer), "incomplete after " + (i + 1) + " bytes");
            assertEquals(0, buffer.position(), "an incomplete frame consumes nothing");
            buffer.position(buffer.limit());
            buffer.limit(buffer.capacity());
        }
        buffer.put(bytes[bytes.length - 1]);
        buffer.flip();
        assertEquals("/pg/pg_wal/000000010000000000000001",
                PushRequest.fromFrame(FrameCodec.decode(buffer)).path());
    }

    @Test
    void decodesTwoFramesInOneBuffer() throws Exception {
        byte[] a = FrameCodec.encode(Frame.of(FrameType.PING));
        byte[] b = FrameCodec.encode(Frame.of(FrameType.STATUS));
        ByteBuffer both = ByteBuffer.allocate(a.length + b.length).put(a).put(b).flip();
        assertEquals(FrameType.PING, FrameCodec.decode(both).type());
        assertEquals(FrameType.STATUS, FrameCodec.decode(both).type());
        assertNull(FrameCodec.decode(both));
    }

    @Test
    void refusesGarbageFromTheFirstByte() {
        ProtocolException e = assertThrows(ProtocolException.class,
                () -> FrameCodec.decode(ByteBuffer.wrap(new byte[] {'G'})));
        assertEquals(ErrorCode.BAD_FRAME, e.code());
        assertTrue(e.getMessage().contains("bad frame magic"), e.getMessage());
    }

    @Test
    void refusesAnotherProtocolVersion() {
        byte[] bytes = FrameCodec.encode(Frame.of(FrameType.PING));
        bytes[2] = 2;
        ProtocolException e = assertThrows(ProtocolException.class, () -> FrameCodec.decode(ByteBuffer.wrap(bytes)));
        assertEquals(ErrorCode.UNSUPPORTED_VERSION, e.code());
        assertEquals("unsupported protocol version 2 (this side speaks 1)", e.getMessage());
    }

    @Test
    void refusesAnUnknownType() {
        byte[] bytes = FrameCodec.encode(Frame.of(FrameType.PING));
        bytes[3] = 0x7F;
        ProtocolException e = assertThrows(ProtocolException.class, () -> FrameCodec.decode(ByteBuffer.wrap(bytes)));
        assertEquals(ErrorCode.UNKNOWN_REQUEST, e.code());
    }

    @Test
    void refusesAnOversizedBodyAsSoonAsTheHeaderArrives() {
        ByteBuffer header = ByteBuffer.allocate(FrameCodec.HEADER_LENGTH)
                .put((byte) 'W').put((byte) 'L').put((byte) 1).put((byte) 1).putInt(FrameCodec.MAX_BODY_LENGTH + 1)
                .flip();
        ProtocolException e = assertThrows(ProtocolException.class, () -> FrameCodec.decode(header));
        assertEquals(ErrorCode.FRAME_TOO_LARGE, e.code());
        ByteBuffer huge = ByteBuffer.allocate(FrameCodec.HEADER_LENGTH)
                .put((byte) 'W').put((byte) 'L').put((byte) 1).put((byte) 1).putInt(-1).flip();
        assertEquals(ErrorCode.FRAME_TOO_LARGE, assertThrows(ProtocolException.class,
                () -> FrameCodec.decode(huge)).code(), "a length with the sign bit set is not negative");
    }

    @Test
    void acceptsABodyOfExactlyTheMaximum() throws Exception {
        Frame frame = new Frame(FrameType.OK, new byte[FrameCodec.MAX_BODY_LENGTH]);
        assertEquals(frame, FrameCodec.decode(ByteBuffer.wrap(FrameCodec.encode(frame))));
    }
}
