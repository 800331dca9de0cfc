package dev.walden.protocol;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;

/**
 * One connection to the agent's socket that the test drives byte by byte: it may send half a
 * frame, pipeline requests without reading, or hold the connection open and silent, none of
 * which the protocol's own client would do. Every wait is bounded.
 */
public final class RawConnection implements AutoCloseable {
    private final SocketChannel channel;
    private final Selector selector;
    private final SelectionKey key;
    /** Bytes received and not yet returned as frames, in read mode. */
    private final ByteBuffer received = ByteBuffer.allocate(FrameCodec.HEADER_LENGTH + FrameCodec.MAX_BODY_LENGTH)
            .flip();

    private RawConnection(SocketChannel channel) throws IOException {
        this.channel = channel;
        channel.configureBlocking(false);
        selector = Selector.open();
        key = channel.register(selector, 0);
    }

    public static RawConnection open(Path socket) throws IOException {
        return new RawConnection(SocketChannel.open(UnixDomainSocketAddress.of(socket)));
    }

    /** Writes what the socket takes now without waiting; returns how many bytes it took. */
    public int offer(ByteBuffer bytes) throws IOException {
        return channel.write(bytes);
    }

    /** Writes all of {@code bytes}, waiting at most {@code timeout}. */
    public void send(byte[] bytes, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        key.interestOps(SelectionKey.OP_WRITE);
        while (buffer.hasRemaining()) {
            if (channel.write(buffer) == 0) {
                await(deadline, "sending");
            }
        }
    }

    public void send(Frame frame, Duration timeout) throws IOException {
        send(FrameCodec.encode(frame), timeout);
    }

    /**
     * The next frame the agent sends, or {@code null} when it closes the connection first.
     *
     * @throws IOException when neither happens within {@code timeout}, or the bytes are no frame
     */
    public Frame read(Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        key.interestOps(SelectionKey.OP_READ);
        while (true) {
            try {
                Frame frame = FrameCodec.decode(received);
                if (frame != null) {
                    return frame;
                }
            } catch (ProtocolException e) {
                throw new IOException("the agent sent something that is not a frame: " + e.getMessage(), e);
            }
            received.compact();
            int n;
            try {
                n = channel.read(received);
            } catch (IOException e) {
                return null; // reset by the agent: closed as far as this client can tell
            } finally {
                received.flip();
            }
            if (n < 0) {
                return null;
            }
            if (n == 0) {
                await(deadline, "reading");
            }
        }
    }

    /** Whether the agent has closed this connection (end of stream with nothing unread), waiting at most {@code timeout}. */
    public boolean closedWithin(Duration timeout) throws IOException {
        try {
            return read(timeout) == null;
        } catch (IOException e) {
            return false;
        }
    }

    private void await(long deadline, String step) throws IOException {
        long remaining = deadline - System.nanoTime();
        if (remaining <= 0) {
            throw new IOException("timed out " + step);
        }
        selector.select(Math.max(1, remaining / 1_000_000));
        selector.selectedKeys().clear();
    }

    @Override
    public void close() throws IOException {
        try {
            selector.close();
        } finally {
            channel.close();
        }
    }
}
