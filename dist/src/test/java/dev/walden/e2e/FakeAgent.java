package dev.walden.e2e;

import dev.walden.protocol.FrameCodec;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * A stand-in for the agent on a Unix socket that answers each request with whatever bytes the test
 * chooses, well-formed or not, so that every client (Java, native, the archive module) can be shown
 * the same reply. Records each request's bytes exactly as they arrived.
 */
final class FakeAgent implements AutoCloseable {
    /** Stays silent: the connection is held open and never answered until the fake agent closes. */
    static final byte[] SILENT = new byte[0];

    private final ServerSocketChannel server;
    private final Path socket;
    private final Function<byte[], byte[]> answer;
    private final List<byte[]> requests = new CopyOnWriteArrayList<>();
    private final List<SocketChannel> open = new CopyOnWriteArrayList<>();
    private final Thread acceptor;

    private FakeAgent(Path socket, Function<byte[], byte[]> answer) throws IOException {
        this.socket = socket;
        this.answer = answer;
        Files.deleteIfExists(socket);
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        acceptor = new Thread(this::acceptLoop, "fake-agent");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** Answers every request with the bytes {@code answer} returns for it ({@link #SILENT}: none). */
    static FakeAgent start(Path socket, Function<byte[], byte[]> answer) throws IOException {
        return new FakeAgent(socket, answer);
    }

    /** Answers every request with the same bytes. */
    static FakeAgent answering(Path socket, byte[] reply) throws IOException {
        return start(socket, request -> reply);
    }

    /** The requests received so far, each as its raw bytes (header and body). */
    List<byte[]> requests() {
        return new ArrayList<>(requests);
    }

    private void acceptLoop() {
        while (server.isOpen()) {
            try {
                SocketChannel channel = server.accept();
                open.add(channel);
                Thread handler = new Thread(() -> serve(channel), "fake-agent-connection");
                handler.setDaemon(true);
                handler.start();
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void serve(SocketChannel channel) {
        try {
            byte[] request = readFrame(channel);
            if (request == null) {
                channel.close();
                return;
            }
            requests.add(request);
            byte[] reply = answer.apply(request);
            if (reply == SILENT) { // identity: an empty reply of the test's own closes at once
                return; // held open until close()
            }
            ByteBuffer out = ByteBuffer.wrap(reply);
            while (out.hasRemaining()) {
                channel.write(out);
            }
            channel.close();
        } catch (IOException e) {
            // the client went away; nothing to record
        }
    }

    /** One request frame as it arrived, or null when the client closed before a whole header. */
    private static byte[] readFrame(SocketChannel channel) throws IOException {
        ByteBuffer header = ByteBuffer.allocate(FrameCodec.HEADER_LENGTH);
        while (header.hasRemaining()) {
            if (channel.read(header) < 0) {
                return null;
            }
        }
        long length = header.getInt(4) & 0xFFFFFFFFL;
        ByteBuffer frame = ByteBuffer.allocate(FrameCodec.HEADER_LENGTH + (int) Math.min(length,
                FrameCodec.MAX_BODY_LENGTH));
        frame.put(header.array());
        while (frame.hasRemaining()) {
            if (channel.read(frame) < 0) {
                break;
            }
        }
        return Arrays.copyOf(frame.array(), frame.position());
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (SocketChannel channel : open) {
            channel.close();
        }
        try {
            acceptor.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Files.deleteIfExists(socket);
    }
}
