package dev.walden.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.walden.protocol.Frame;
import dev.walden.protocol.FrameCodec;
import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

/** The replies an agent pipeline on an {@link EmbeddedChannel} writes, as frames. */
public final class Replies {
    private Replies() {
    }

    /** Reads the next reply the handler wrote, waiting up to 10 s for replies that come from a worker. */
    public static Frame next(EmbeddedChannel ch) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            ch.runPendingTasks();
            Frame frame = poll(ch);
            if (frame != null) {
                return frame;
            }
            Thread.sleep(5);
        }
        throw new AssertionError("no reply within 10 s");
    }

    /** The next reply already written, or {@code null}. */
    public static Frame poll(EmbeddedChannel ch) throws Exception {
        ByteBuf out = ch.readOutbound();
        if (out == null) {
            return null;
        }
        byte[] data = new byte[out.readableBytes()];
        out.readBytes(data);
        out.release();
        ByteBuffer buffer = ByteBuffer.wrap(data);
        Frame frame = FrameCodec.decode(buffer);
        assertEquals(0, buffer.remaining(), "one frame per write");
        return frame;
    }
}
