package dev.walden.storage.posix;

import dev.walden.config.FileAccess;
import dev.walden.storage.NoSuchObjectException;
import dev.walden.storage.ObjectInfo;
import dev.walden.storage.ObjectWriter;
import dev.walden.storage.Storage;
import dev.walden.storage.StorageKeys;
import dev.walden.storage.StorageLock;
import dev.walden.storage.StorageLockedException;
import dev.walden.storage.WriteOption;
import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * A repository in a local directory. Objects are files under the root, named by their key.
 *
 * <p>A write goes to {@code .<name>.<random>.tmp} next to its final name (created 0600), is
 * fsynced, renamed into place and the directory fsynced: the sequence PostgreSQL's own
 * durable_rename uses. Directories are created 0700, and each new directory's parent is fsynced so
 * the new entry survives a crash too. Hard links are not needed, so any POSIX filesystem that
 * honours fsync and rename will do.
 *
 * <p>The root directory must exist: a missing root is far more often an unmounted disk than a
 * new repository, and writing WAL onto the root filesystem under it would hide it later. Only
 * {@link #create} makes it, for {@code walden init}. It must belong to the user running walden
 * and be writable by nobody else: whoever may write in it may replace repository.json or WAL.
 *
 * <p>A lock is an fcntl lock on {@code .<name>.lock} in the root, which also records the holder.
 * A pointer is a relative symbolic link in the target's directory, replaced by renaming a new
 * link over it.
 */
public final class PosixStorage implements Storage {
    private static final FileAttribute<Set<PosixFilePermission>> FILE_MODE =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));
    private static final FileAttribute<Set<PosixFilePermission>> DIRECTORY_MODE =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));
    private static final String TEMP_SUFFIX = ".tmp";
    private static final int BUFFER_BYTES = 128 * 1024;
    private static final SecureRandom RANDOM = new SecureRandom();

    private static final java.util.regex.Pattern LOCK_NAME = java.util.regex.Pattern.compile("[a-z]+");

    private final Path root;
    /** Directories whose entry in their parent is known to be durable: no fsync of the parent needed. */
    private final Set<Path> durableDirectories = ConcurrentHashMap.newKeySet();

    /**
     * Opens an existing repository directory.
     *
     * @throws NoSuchFileException when it doesn't exist, saying so
     * @throws IOException when another user owns it or others may write in it, naming the fix
     */
    public PosixStorage(Path root) throws IOException {
        this.root = root.toAbsolutePath().normalize();
        if (!Files.isDirectory(this.root)) {
            throw new NoSuchFileException(this.root.toString(), null, "repository directory '" + this.root
                    + "' does not exist (disk not mounted? a new repository is made by 'walden init')");
        }
        FileAccess.Stat stat = checkOwner(this.root);
        if (stat.writableByOthers()) {
            throw new IOException("repository directory '" + this.root + "' is writable by others (mode "
                    + stat.modeText() + "); run: chmod 700 '" + this.root + "'");
        }
        durableDirectories.add(this.root);
    }

    /**
     * Refuses a directory this process's user doesn't own. Its owner may replace anything in it,
     * and a repository that isn't ours is a wrong path or the wrong user running walden (root
     * running a command on the postgres user's repository would leave files postgres can't read).
     * Returns the directory's owner and mode.
     */
    private static FileAccess.Stat checkOwner(Path dir) throws IOException {
        FileAccess.Stat stat = FileAccess.stat(dir);
        if (stat.uid() != FileAccess.currentUid()) {
            String owner = FileAccess.ownerName(dir);
            String user = FileAccess.currentUserName();
            throw new IOException("repository directory '" + dir + "' is owned by '" + owner + "', not by '" + user
                    + "' who runs walden; run walden as '" + owner + "', or run: chown -R " + user + " '" + dir + "'");
        }
        return stat;
    }

    /** {@link #create(Path, Consumer)}, not telling what it changed. */
    public static PosixStorage create(Path root) throws IOException {
        return create(root, notice -> {
        });
    }

    /**
     * Opens the directory, creating it (0700) when missing: for {@code walden init}. Its parent
     * must exist: a missing parent is a mount point that isn't there, or a typo. An existing
     * directory of ours that others may use is made private (0700), and {@code notices} is told,
     * when it is empty or a walden repository; a directory of other files keeps its mode (creating
     * a repository there is refused). One owned by another user is refused.
     */
    public static PosixStorage create(Path root, Consumer<String> notices) throws IOException {
        Path absolute = root.toAbsolutePath().normalize();
        Path parent = absolute.getParent();
        if (parent == null || !Files.isDirectory(parent)) {
            throw new NoSuchFileException(String.valueOf(parent), null, "the parent of repository directory '"
                    + absolute + "' does not exist");
        }
        if (Files.isDirectory(absolute)) {
            FileAccess.Stat stat = checkOwner(absolute);
            // only a directory walden may take: never chmod someone's files (walden init then refuses them)
            if (stat.openToOthers() && holdsNothingForeign(absolute)) {
                Files.setPosixFilePermissions(absolute, PosixFilePermissions.fromString("rwx------"));
                notices.accept("repository directory '" + absolute + "' was open to other users (mode "
                        + stat.modeText() + "); it is now 0700");
            }
        } else {
            try {
                Files.createDirectory(absolute, DIRECTORY_MODE);
            } catch (FileAlreadyExistsException e) {
                if (!Files.isDirectory(absolute)) {
                    throw e;
                }
            }
            syncDirectory(parent);
        }
        return new PosixStorage(absolute);
    }

    /**
     * Whether the directory is empty or holds a walden repository (repository.json), or only what
     * an init cut short leaves (keyring.json, a driver's dot-files).
     */
    private static boolean holdsNothingForeign(Path directory) throws IOException {
        if (Files.exists(directory.resolve("repository.json"), LinkOption.NOFOLLOW_LINKS)) {
            return true;
        }
        try (var entries = Files.list(directory)) {
            return entries.map(p -> p.getFileName().toString())
                    .allMatch(name -> name.startsWith(".") || name.equals("keyring.json"));
        }
    }

    public Path root() {
        return root;
    }

    /**
     * Refuses an object another user owns or may change, or that is not a plain file (a symbolic
     * link someone put in its place): for objects every command takes at their word, such as
     * repository.json. A missing object is fine.
     */
    public void checkPrivate(String key) throws IOException {
        Path path = pathOf(key);
        FileAccess.Stat stat;
        try {
            stat = FileAccess.stat(path, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return;
        }
        if (!Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException("'" + path + "' is not a plain file, as walden writes it; find out who replaced it");
        }
        if (stat.uid() != FileAccess.currentUid()) {
            String user = FileAccess.currentUserName();
            throw new IOException("'" + path + "' is owned by '" + FileAccess.ownerName(path) + "', not by '" + user
                    + "' who runs walden; find out who replaced it, or if it is yours, run: chown " + user + " '"
                    + path + "'");
        }
        if (stat.writableByOthers()) {
            throw new IOException("'" + path + "' is writable by others (mode " + stat.modeText() + "); run: chmod 600 '"
                    + path + "'");
        }
    }

    @Override
    public String describe() {
        return "posix:" + root;
    }

    private Path pathOf(String key) {
        return root.resolve(StorageKeys.check(key));
    }

    @Override
    public InputStream read(String key) throws IOException {
        Path path = pathOf(key);
        try {
            return Files.newInputStream(path);
        } catch (NoSuchFileException e) {
            throw new NoSuchObjectException(describe(), key);
        } catch (IOException e) {
            throw failure("read", key, e);
        }
    }

    @Override
    public Optional<ObjectInfo> stat(String key) throws IOException {
        Path path = pathOf(key);
        try {
            BasicFileAttributes attrs = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            return attrs.isRegularFile()
                    ? Optional.of(new ObjectInfo(key, attrs.size(), attrs.lastModifiedTime().toInstant()))
                    : Optional.empty();
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw failure("stat", key, e);
        }
    }

    @Override
    public List<ObjectInfo> list(String prefix) throws IOException {
        StorageKeys.checkPrefix(prefix);
        int slash = prefix.lastIndexOf('/');
        Path dir = slash < 0 ? root : root.resolve(prefix.substring(0, slash));
        String namePrefix = prefix.substring(slash + 1);
        List<ObjectInfo> result = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path entry : entries) {
                String name = entry.getFileName().toString();
                if (name.startsWith(".") || !name.startsWith(namePrefix)) {
                    continue;
                }
                collect(entry, result);
            }
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            throw failure("list", prefix, e);
        }
        result.sort(Comparator.comparing(ObjectInfo::key));
        return result;
    }

    private void collect(Path path, List<ObjectInfo> result) throws IOException {
        Files.walkFileTree(path, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                return dir.getFileName().toString().startsWith(".") ? FileVisitResult.SKIP_SUBTREE
                        : FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                if (attrs.isRegularFile() && !file.getFileName().toString().startsWith(".")) {
                    result.add(new ObjectInfo(keyOf(file), attrs.size(), attrs.lastModifiedTime().toInstant()));
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                if (e instanceof NoSuchFileException) {
                    return FileVisitResult.CONTINUE; // deleted while we listed
                }
                throw e;
            }
        });
    }

    private String keyOf(Path file) {
        return root.relativize(file).toString().replace(file.getFileSystem().getSeparator(), "/");
    }

    @Override
    public ObjectWriter write(String key, WriteOption... options) throws IOException {
        Path target = pathOf(key);
        boolean sync = !Arrays.asList(options).contains(WriteOption.NO_SYNC);
        byte[] random = new byte[8];
        RANDOM.nextBytes(random);
        Path temp = target.resolveSibling("." + target.getFileName() + "." + HexFormat.of().formatHex(random)
                + TEMP_SUFFIX);
        try {
            createDirectories(target.getParent(), sync);
            FileChannel channel = FileChannel.open(temp, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                    FILE_MODE);
            return new PosixWriter(key, target, temp, channel, sync);
        } catch (NoSuchFileException e) {
            throw vanished("write", key, target.getParent(), e);
        } catch (IOException e) {
            throw failure("write", key, e);
        }
    }

    @Override
    public void sync(String key) throws IOException {
        Path path = pathOf(key);
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (NoSuchFileException e) {
            throw new NoSuchObjectException(describe(), key);
        } catch (IOException e) {
            throw failure("sync", key, e);
        }
        syncDirectory(path.getParent());
    }

    @Override
    public void setPointer(String key, String target) throws IOException {
        Path link = pathOf(key);
        Path to = pathOf(target);
        if (!link.getParent().equals(to.getParent())) {
            throw new IllegalArgumentException("pointer '" + key + "' and its target '" + target
                    + "' must be in the same directory");
        }
        byte[] random = new byte[8];
        RANDOM.nextBytes(random);
        Path temp = link.resolveSibling("." + link.getFileName() + "." + HexFormat.of().formatHex(random) + TEMP_SUFFIX);
        try {
            Files.createSymbolicLink(temp, to.getFileName());
            Files.move(temp, link, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            syncDirectory(link.getParent());
        } catch (IOException e) {
            Files.deleteIfExists(temp);
            throw failure("point", key, e);
        }
    }

    @Override
    public Optional<String> pointer(String key) throws IOException {
        Path link = pathOf(key);
        try {
            Path target = Files.readSymbolicLink(link);
            String parent = key.contains("/") ? key.substring(0, key.lastIndexOf('/') + 1) : "";
            return Optional.of(parent + target.getFileName());
        } catch (NoSuchFileException | java.nio.file.NotLinkException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw failure("read pointer", key, e);
        }
    }

    @Override
    public boolean delete(String key) throws IOException {
        Path path = pathOf(key);
        try {
            if (!Files.deleteIfExists(path)) {
                return false;
            }
            syncDirectory(path.getParent());
            return true;
        } catch (IOException e) {
            throw failure("delete", key, e);
        }
    }

    @Override
    public int removeAbandonedWrites(Duration olderThan) throws IOException {
        Instant cutoff = Instant.now().minus(olderThan);
        List<Path> leftovers = new ArrayList<>();
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                String name = file.getFileName().toString();
                if (name.startsWith(".") && name.endsWith(TEMP_SUFFIX)
                        && !attrs.lastModifiedTime().toInstant().isAfter(cutoff)) {
                    leftovers.add(file);
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                if (e instanceof NoSuchFileException) {
                    return FileVisitResult.CONTINUE;
                }
                throw e;
            }
        });
        int removed = 0;
        for (Path leftover : leftovers) {
            if (Files.deleteIfExists(leftover)) {
                removed++;
            }
        }
        return removed;
    }

    @Override
    public void close() {
        // nothing held open between calls
    }

    /**
     * Makes sure {@code dir} and its ancestors below the root exist (created 0700) with durable
     * entries. A directory someone else just created may not have had its parent fsynced yet, so
     * a directory counts as durable only once this storage has fsynced its parent itself.
     */
    private void createDirectories(Path dir, boolean sync) throws IOException {
        if (durableDirectories.contains(dir) || (!sync && Files.isDirectory(dir))) {
            return;
        }
        Path parent = dir.getParent();
        createDirectories(parent, sync);
        try {
            Files.createDirectory(dir, DIRECTORY_MODE);
        } catch (FileAlreadyExistsException e) {
            if (!Files.isDirectory(dir)) {
                throw e;
            }
        }
        if (sync) {
            syncDirectory(parent);
            durableDirectories.add(dir);
        }
    }

    @Override
    public StorageLock lock(String name, String owner) throws IOException {
        if (!LOCK_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("invalid lock name '" + name + "'");
        }
        String lockFile = "." + name + ".lock";
        Path file = root.resolve(lockFile);
        FileChannel channel = FileChannel.open(file, Set.of(StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE), FILE_MODE);
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null; // held through another handle in this process
        } catch (IOException e) {
            channel.close();
            throw failure("lock", lockFile, e);
        }
        if (lock == null) {
            ByteBuffer holder = ByteBuffer.allocate(512);
            channel.read(holder, 0);
            channel.close();
            throw new StorageLockedException(name, describe(),
                    new String(holder.array(), 0, holder.position(), StandardCharsets.UTF_8).strip());
        }
        channel.truncate(0);
        channel.write(ByteBuffer.wrap((owner + "\n").getBytes(StandardCharsets.UTF_8)), 0);
        FileLock held = lock;
        return () -> {
            try {
                held.release();
                channel.close();
            } catch (IOException e) {
                // closing the channel releases the lock in any case
            }
        };
    }

    private static void syncDirectory(Path dir) throws IOException {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }

    /**
     * The failure of a write whose directory is not there. A directory this storage created may
     * have been moved or deleted while walden ran; forgetting that it was made lets the next write
     * make it again, as in a new repository. The root is never made again: a missing root is an
     * unmounted disk far more often than anything else.
     */
    private IOException vanished(String action, String key, Path dir, NoSuchFileException cause) {
        String prefix = action + " '" + key + "' in " + describe() + ": ";
        if (!Files.isDirectory(root)) {
            return new IOException(prefix + "repository directory '" + root + "' does not exist (disk not mounted?)",
                    cause);
        }
        if (Files.isDirectory(dir)) {
            return failure(action, key, cause); // something else is missing
        }
        Path missing = dir;
        while (!missing.getParent().equals(root) && !Files.isDirectory(missing.getParent())) {
            missing = missing.getParent();
        }
        Path gone = missing;
        durableDirectories.removeIf(d -> d.startsWith(gone));
        return new IOException(prefix + "directory '" + root.relativize(gone) + "' is gone (moved or deleted while "
                + "walden was using it?); the next write creates it again", cause);
    }

    private IOException failure(String action, String key, IOException cause) {
        return new IOException(action + " '" + key + "' in " + describe() + ": " + message(cause), cause);
    }

    private static String message(IOException e) {
        if (e instanceof NoSuchFileException || e instanceof FileAlreadyExistsException) {
            return e.getClass().getSimpleName() + " " + e.getMessage();
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    private final class PosixWriter implements ObjectWriter {
        private final String key;
        private final Path target;
        private final Path temp;
        private final FileChannel channel;
        private final boolean sync;
        private final OutputStream stream;
        private boolean committed;
        private boolean closed;

        PosixWriter(String key, Path target, Path temp, FileChannel channel, boolean sync) {
            this.key = key;
            this.target = target;
            this.temp = temp;
            this.channel = channel;
            this.sync = sync;
            this.stream = new BufferedOutputStream(new FilterOutputStream(Channels.newOutputStream(channel)) {
                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    try {
                        out.write(b, off, len);
                    } catch (IOException e) {
                        throw failure("write", PosixWriter.this.key, e);
                    }
                }

                @Override
                public void close() throws IOException {
                    flush(); // the channel stays open until commit or abort
                }
            }, BUFFER_BYTES);
        }

        @Override
        public OutputStream stream() {
            return stream;
        }

        @Override
        public void commit() throws IOException {
            if (committed || closed) {
                throw new IllegalStateException("writer for '" + key + "' is already " + (committed ? "committed" : "closed"));
            }
            stream.flush(); // failures here already name the key
            try {
                if (sync) {
                    channel.force(true);
                }
                channel.close();
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                committed = true;
                if (sync) {
                    syncDirectory(target.getParent());
                }
            } catch (NoSuchFileException e) {
                throw vanished("commit", key, target.getParent(), e);
            } catch (IOException e) {
                throw failure("commit", key, e);
            }
        }

        @Override
        public void close() throws IOException {
            if (closed) {
                return;
            }
            closed = true;
            if (!committed) {
                try {
                    channel.close();
                } finally {
                    Files.deleteIfExists(temp);
                }
            }
        }
    }
}
