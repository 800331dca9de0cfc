package dev.walden.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class MeterTest {
    @Test
    void roundTripsThroughAFrame() throws Exception {
        Meter meter = new Meter("copying", "files", 5L << 32, 7L << 32, 1234, 4000);
        Frame frame = FrameCodec.decode(java.nio.ByteBuffer.wrap(FrameCodec.encode(meter.toFrame())));
        assertEquals(meter, Meter.fromFrame(frame));
    }

    @Test
    void malformedBodiesAreRefusedWithTheReason() {
        ProtocolException shortBody = assertThrows(ProtocolException.class,
                () -> Meter.fromFrame(new Frame(FrameType.METER, new byte[10])));
        assertEquals(ErrorCode.BAD_FRAME, shortBody.code());
        assertEquals("malformed METER frame of 10 bytes", shortBody.getMessage());
        assertThrows(ProtocolException.class, () -> Meter.fromFrame(new Frame(FrameType.METER, new byte[24])),
                "no NUL between phase and unit");
    }
}
