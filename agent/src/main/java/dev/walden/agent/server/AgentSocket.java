package dev.walden.agent.server;

import java.io.IOException;
import java.net.ConnectException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.Set;

/**
 * Ownership of the agent's socket path. Only one agent may serve a socket: a lock file
 * ({@code <socket>.lock}, mode 0600, holding the owner's PID) is locked for the agent's lifetime, and the
 * kernel releases it when the process dies however it dies. With the lock held, a socket file
 * left by a dead agent is stale and is replaced.
 *
 * <p>The socket is bound under a temporary name, given its mode (0600, or 0660 and the configured
 * group) and only then renamed onto the configured path, so no client ever sees it with looser
 * permissions, and the replacement of a stale socket is atomic.
 */
public final class AgentSocket implements AutoCloseable {
    /** Bytes the temporary name adds to the configured path. */
    public static final int TEMPORARY_SUFFIX_BYTES = ".bind".length();
    private static final long PROBE_TIMEOUT_MILLIS = 2000;
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    private final Path socket;
    private final Optional<String> group;
    private final FileChannel lockChannel;
    private final FileLock lock;

    private AgentSocket(Path socket, Optional<String> group, FileChannel lockChannel, FileLock lock) {
        this.socket = socket;
        this.group = group;
        this.lockChannel = lockChannel;
        this.lock = lock;
    }

    public static Path temporaryPath(Path socket) {
        return socket.resolveSibling(socket.getFileName() + ".bind");
    }

    /**
     * Takes ownership of {@code socket}, creating its directory (0700, or 0750 with a group) when
     * missing.
     *
     * @throws IOException when another live agent owns the socket, naming its PID
     */
    public static AgentSocket claim(Path socket, Optional<String> group) throws IOException {
        Path dir = socket.toAbsolutePath().getParent();
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString(group.isPresent() ? "rwxr-x---" : "rwx------")));
            if (group.isPresent()) {
                setGroup(dir, group.get());
            }
        }
        Path lockFile = socket.resolveSibling(socket.getFileName() + ".lock");
        FileChannel channel = FileChannel.open(lockFile, Set.of(StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE), PosixFilePermissions.asFileAttribute(OWNER_ONLY));
        FileLock lock;
        try {
            // the mode above applies only when the file is new; an existing one keeps its own
            if (!Files.getPosixFilePermissions(lockFile).equals(OWNER_ONLY)) {
                Files.setPosixFilePermissions(lockFile, OWNER_ONLY);
            }
            lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null; // held by this very process: another agent in the same JVM
        } catch (IOException e) {
            channel.close();
            throw e;
        }
        if (lock == null) {
            String owner = readOwner(channel);
            channel.close();
            throw new IOException("another agent" + owner + " owns socket '" + socket + "' (lock file '" + lockFile
                    + "' is held)");
        }
        channel.truncate(0);
        channel.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
        if (Files.exists(socket) && answers(socket)) {
            lock.release();
            channel.close();
            throw new IOException("another process is listening on '" + socket + "'; refusing to replace its socket");
        }
        return new AgentSocket(socket, group, channel, lock);
    }

    private static String readOwner(FileChannel channel) {
        try {
            ByteBuffer buffer = ByteBuffer.allocate(32);
            channel.read(buffer, 0);
            String pid = new String(buffer.array(), 0, buffer.position(), StandardCharsets.US_ASCII).strip();
            return pid.matches("\\d+") ? " (pid " + pid + ")" : "";
        } catch (IOException e) {
            return "";
        }
    }

    /** Whether someone accepts connections on {@code socket}; gives up after two seconds. */
    private static boolean answers(Path socket) {
        try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX);
             Selector selector = Selector.open()) {
            probe.configureBlocking(false);
            if (probe.connect(UnixDomainSocketAddress.of(socket))) {
                return true;
            }
            probe.register(selector, SelectionKey.OP_CONNECT);
            selector.select(PROBE_TIMEOUT_MILLIS);
            return probe.finishConnect();
        } catch (ConnectException e) {
            return false; // refused: a stale file from an agent that died
        } catch (IOException e) {
            // EAGAIN: a listener whose backlog is full is alive; anything else can't be a live agent
            return e.getMessage() != null && e.getMessage().contains("temporarily unavailable");
        }
    }

    /** Where the server must bind before {@link #publish()} moves the socket into place. */
    public Path bindPath() throws IOException {
        Path temp = temporaryPath(socket);
        Files.deleteIfExists(temp);
        return temp;
    }

    /** Sets the bound socket's mode and group, then renames it onto the configured path. */
    public void publish() throws IOException {
        Path temp = temporaryPath(socket);
        Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString(group.isPresent() ? "rw-rw----" : "rw-------"));
        if (group.isPresent()) {
            setGroup(temp, group.get());
        }
        Files.move(temp, socket, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static void setGroup(Path path, String groupName) throws IOException {
        GroupPrincipal principal;
        try {
            principal = path.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByGroupName(groupName);
        } catch (IOException e) {
            throw new IOException("agent.socket_group: no group named '" + groupName + "'", e);
        }
        Files.getFileAttributeView(path, PosixFileAttributeView.class).setGroup(principal);
    }

    public Path path() {
        return socket;
    }

    /** Removes the socket and releases the lock. */
    @Override
    public void close() throws IOException {
        try {
            Files.deleteIfExists(socket);
            Files.deleteIfExists(temporaryPath(socket));
        } finally {
            lock.release();
            lockChannel.close();
        }
    }
}
