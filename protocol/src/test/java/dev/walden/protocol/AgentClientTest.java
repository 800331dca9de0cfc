package dev.walden.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentClientTest {
    @TempDir
    Path dir;

    @Test
    void missingSocketMeansAgentNotRunning() {
        AgentClient client = new AgentClient(dir.resolve("agent.sock"), Duration.ofSeconds(1));
        AgentClientException e = assertThrows(AgentClientException.class, () -> client.exchange(Frame.of(FrameType.PING)));
        assertEquals(AgentClientException.Kind.NOT_RUNNING, e.kind());
        assertTrue(e.getMessage().startsWith("agent not running: no socket at"), e.getMessage());
    }

    @Test
    void staleSocketFileMeansAgentNotRunning() throws IOException {
        Path socket = dir.resolve("agent.sock");
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        server.close(); // the file stays behind, as after a crash
        AgentClient client = new AgentClient(socket, Duration.ofSeconds(1));
        AgentClientException e = assertThrows(AgentClientException.class, () -> client.exchange(Frame.of(FrameType.PING)));
        assertEquals(AgentClientException.Kind.NOT_RUNNING, e.kind());
        assertTrue(e.getMessage().contains("nobody listens"), e.getMessage());
    }

    @Test
    void aSocketThisUserMayNotUseIsPermissionDeniedNotAgentNotRunning() throws Exception {
        assertNotEquals(0, (int) Files.getAttribute(Path.of("/proc/self"), "unix:uid"),
                "root ignores permissions: run the tests through ./run-tests");
        Path socket = dir.resolve("agent.sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("---------"));
            AgentClient client = new AgentClient(socket, Duration.ofSeconds(5));
            AgentClientException e = assertThrows(AgentClientException.class,
                    () -> client.exchange(Frame.of(FrameType.PING)));
            assertEquals(AgentClientException.Kind.IO, e.kind());
            assertEquals("permission denied on '" + socket + "': run as the agent's user, or set agent.socket_group to a "
                    + "group this user is in", e.getMessage());
        }
    }

    @Test
    void aSocketInADirectoryThisUserMayNotEnterIsPermissionDeniedToo() throws Exception {
        Path closed = Files.createDirectory(dir.resolve("run"));
        Path socket = closed.resolve("agent.sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            Files.setPosixFilePermissions(closed, PosixFilePermissions.fromString("rw-------"));
            AgentClient client = new AgentClient(socket, Duration.ofSeconds(5));
            AgentClientException e = assertThrows(AgentClientException.class,
                    () -> client.exchange(Frame.of(FrameType.PING)));
            assertEquals(AgentClientException.Kind.IO, e.kind());
            assertEquals("permission denied on '" + socket + "': a directory on its path is closed to this user; run as "
                    + "the agent's user, or open the directory to agent.socket_group", e.getMessage());
        } finally {
            Files.setPosixFilePermissions(closed, PosixFilePermissions.fromString("rwx------"));
        }
    }

    @Test
    void silentAgentTimesOut() throws Exception {
        Path socket = dir.resolve("agent.sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            CompletableFuture<SocketChannel> accepted = CompletableFuture.supplyAsync(() -> {
                try {
                    return server.accept(); // accepts, then never answers
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            AgentClient client = new AgentClient(socket, Duration.ofMillis(300));
            long start = System.nanoTime();
            AgentClientException e = assertThrows(AgentClientException.class,
                    () -> client.exchange(Frame.of(FrameType.PING)));
            assertEquals(AgentClientException.Kind.TIMEOUT, e.kind());
            assertTrue(e.getMessage().startsWith("timed out after 300ms waiting for the reply"), e.getMessage());
            assertTrue(System.nanoTime() - start >= 300_000_000L, "waited the whole timeout");
            accepted.get().close();
        }
    }

    @Test
    void garbageReplyIsAProtocolError() throws Exception {
        Path socket = dir.resolve("agent.sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            CompletableFuture<Void> serve = CompletableFuture.runAsync(() -> {
                try (SocketChannel peer = server.accept()) {
                    peer.write(ByteBuffer.wrap("HTTP/1.1 400 Bad Request\r\n".getBytes()));
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            AgentClient client = new AgentClient(socket, Duration.ofSeconds(5));
            AgentClientException e = assertThrows(AgentClientException.class,
                    () -> client.exchange(Frame.of(FrameType.PING)));
            assertEquals(AgentClientException.Kind.PROTOCOL, e.kind());
            assertTrue(e.getMessage().startsWith("invalid reply from the agent: bad frame magic"), e.getMessage());
            serve.get();
        }
    }

    @Test
    void exchangesOneFrameWithARealPeer() throws Exception {
        Path socket = dir.resolve("agent.sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            CompletableFuture<Frame> serve = CompletableFuture.supplyAsync(() -> {
                try (SocketChannel peer = server.accept()) {
                    ByteBuffer in = ByteBuffer.allocate(1024);
                    Frame request = null;
                    while (request == null) {
                        peer.read(in);
                        in.flip();
                        request = FrameCodec.decode(in);
                        in.compact();
                    }
                    // reply in two writes, to exercise reassembly on the client
                    byte[] reply = FrameCodec.encode(Frame.ok("archived"));
                    peer.write(ByteBuffer.wrap(reply, 0, 3));
                    Thread.sleep(20);
                    peer.write(ByteBuffer.wrap(reply, 3, reply.length - 3));
                    return request;
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            Frame reply = new AgentClient(socket, Duration.ofSeconds(5))
                    .exchange(new PushRequest("/x/pg_wal/000000010000000000000001").toFrame());
            assertEquals(Frame.ok("archived"), reply);
            assertEquals("/x/pg_wal/000000010000000000000001", PushRequest.fromFrame(serve.get()).path());
        }
    }

    @Test
    void progressLinesThenTheReplyEvenWhenTheyArriveInOneWrite() throws Exception {
        Path socket = dir.resolve("agent.sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            CompletableFuture<Void> serve = CompletableFuture.runAsync(() -> {
                try (SocketChannel peer = server.accept()) {
                    peer.read(ByteBuffer.allocate(64));
                    byte[] a = FrameCodec.encode(new Frame(FrameType.PROGRESS, "copying".getBytes()));
                    byte[] b = FrameCodec.encode(new Frame(FrameType.PROGRESS, "stopping".getBytes()));
                    byte[] c = FrameCodec.encode(Frame.ok("complete"));
                    peer.write(ByteBuffer.allocate(a.length + b.length + c.length).put(a).put(b).put(c).flip());
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            java.util.List<String> lines = new java.util.ArrayList<>();
            Frame reply = new AgentClient(socket, Duration.ofSeconds(5)).exchange(Frame.of(FrameType.BACKUP), lines::add);
            assertEquals(Frame.ok("complete"), reply);
            assertEquals(java.util.List.of("copying", "stopping"), lines);
            serve.get();
        }
    }
}
