package dev.walden.db;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The socket pgjdbc gets for a Unix-socket connection, against a real Unix-domain server socket. */
class UnixSocketFactoryTest {
    @TempDir
    Path dir;

    @Test
    void bytesGoBothWaysAndTheEndOfTheStreamIsSeen() throws Exception {
        try (ServerSocketChannel server = listen()) {
            Socket socket = new UnixSocketFactory(dir.toString()).createSocket("localhost", 5999);
            try (SocketChannel peer = server.accept()) {
                socket.getOutputStream().write("startup".getBytes(StandardCharsets.UTF_8));
                ByteBuffer got = ByteBuffer.allocate(7);
                while (got.hasRemaining()) {
                    peer.read(got);
                }
                assertEquals("startup", new String(got.array(), StandardCharsets.UTF_8));
                peer.write(ByteBuffer.wrap("ready".getBytes(StandardCharsets.UTF_8)));
                byte[] answer = socket.getInputStream().readNBytes(5);
                assertArrayEquals("ready".getBytes(StandardCharsets.UTF_8), answer);
            }
            assertEquals(-1, socket.getInputStream().read(), "the server closed: end of stream");
            socket.close();
            assertTrue(socket.isClosed());
        }
    }

    @Test
    @Timeout(60) // without the fix this read waits for ever; the bound only keeps the suite alive
    void aServerThatFreezesCostsTheReadTimeoutNotAHang() throws Exception {
        try (ServerSocketChannel server = listen()) {
            Socket socket = new UnixSocketFactory(dir.toString()).createSocket("localhost", 5999);
            try (SocketChannel peer = server.accept()) {
                socket.setSoTimeout(300);
                InputStream in = socket.getInputStream();
                SocketTimeoutException e = assertThrows(SocketTimeoutException.class, in::read);
                assertEquals("no answer from PostgreSQL within 300 ms", e.getMessage());
                // the connection is still usable afterwards, as a TCP socket's would be
                peer.write(ByteBuffer.wrap(new byte[] {42}));
                assertEquals(42, in.read());
            } finally {
                socket.close();
            }
        }
    }

    private ServerSocketChannel listen() throws Exception {
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(dir.resolve(".s.PGSQL.5999")));
        return server;
    }
}
