package dev.walden.agent.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentSocketTest {
    @TempDir
    Path dir;

    private static void bindAndPublish(AgentSocket socket) throws IOException {
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket.bindPath()));
        socket.publish();
    }

    @Test
    void theSocketIsPrivateToItsOwner() throws IOException {
        Path path = dir.resolve("run/agent.sock");
        try (AgentSocket socket = AgentSocket.claim(path, Optional.empty())) {
            bindAndPublish(socket);
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(path)));
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(path.getParent())));
        }
        assertTrue(Files.notExists(path), "removed on close");
    }

    @Test
    void theLockFileIsPrivateEvenWhenItWasNot() throws IOException {
        Path path = dir.resolve("agent.sock");
        Path lockFile = dir.resolve("agent.sock.lock");
        try (AgentSocket socket = AgentSocket.claim(path, Optional.empty())) {
            assertEquals(path, socket.path());
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(lockFile)));
        }
        Files.setPosixFilePermissions(lockFile, PosixFilePermissions.fromString("rw-rw-rw-"));
        try (AgentSocket socket = AgentSocket.claim(path, Optional.empty())) {
            assertEquals(path, socket.path());
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(lockFile)));
        }
    }

    @Test
    void aConfiguredGroupGetsReadWrite() throws IOException {
        Path path = dir.resolve("agent.sock");
        String myGroup = Files.readAttributes(dir, PosixFileAttributes.class).group().getName();
        try (AgentSocket socket = AgentSocket.claim(path, Optional.of(myGroup))) {
            bindAndPublish(socket);
            PosixFileAttributes attrs = Files.readAttributes(path, PosixFileAttributes.class);
            assertEquals("rw-rw----", PosixFilePermissions.toString(attrs.permissions()));
            assertEquals(myGroup, attrs.group().getName());
        }
    }

    @Test
    void anUnknownGroupIsNamed() throws IOException {
        Path path = dir.resolve("agent.sock");
        try (AgentSocket socket = AgentSocket.claim(path, Optional.of("no-such-group-walden"))) {
            IOException e = assertThrows(IOException.class, () -> bindAndPublish(socket));
            assertEquals("agent.socket_group: no group named 'no-such-group-walden'", e.getMessage());
        }
    }

    @Test
    void aSecondAgentIsRefusedAndNamesTheOwner() throws IOException {
        Path path = dir.resolve("agent.sock");
        try (AgentSocket socket = AgentSocket.claim(path, Optional.empty())) {
            bindAndPublish(socket);
            // FileChannel locks are per process; a second claim from this JVM sees it as held
            IOException e = assertThrows(IOException.class, () -> AgentSocket.claim(path, Optional.empty()));
            assertTrue(e.getMessage().startsWith("another agent (pid " + ProcessHandle.current().pid()
                    + ") owns socket '" + path + "'"), e.getMessage());
        }
    }

    @Test
    void aStaleSocketFileIsReplaced() throws IOException {
        Path path = dir.resolve("agent.sock");
        ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        dead.bind(UnixDomainSocketAddress.of(path));
        dead.close(); // the file stays, as after kill -9
        assertTrue(Files.exists(path));
        try (AgentSocket socket = AgentSocket.claim(path, Optional.empty())) {
            bindAndPublish(socket);
            assertTrue(Files.exists(path));
        }
    }

    @Test
    void aLiveListenerWithoutTheLockIsNotReplaced() throws IOException {
        Path path = dir.resolve("agent.sock");
        try (ServerSocketChannel live = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            live.bind(UnixDomainSocketAddress.of(path));
            IOException e = assertThrows(IOException.class, () -> AgentSocket.claim(path, Optional.empty()));
            assertEquals("another process is listening on '" + path + "'; refusing to replace its socket",
                    e.getMessage());
        }
    }
}
