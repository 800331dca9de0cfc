package dev.walden.agent.archive;

import dev.walden.wal.WalFileName;
import java.nio.file.Path;
import java.util.function.Function;

/**
 * For tests of the dispatcher and the server that don't care about files: every requested path
 * passes the intake as it is, and the archiver sees the path it was asked for.
 */
public final class AnyPath {
    /**
     * Takes every path as it is, without looking at the file system. The name is the path's own
     * when it is a WAL file name, else one made from the path (jobs are one per name).
     */
    public static final ArchiveDispatcher.Intake INTAKE = path -> new WalDirectory.WalFile(nameOf(path), Path.of(path));

    private static WalFileName nameOf(String path) {
        Path fileName = Path.of(path).getFileName();
        try {
            return WalFileName.parse(fileName == null ? "" : fileName.toString());
        } catch (IllegalArgumentException e) {
            int hash = path.hashCode();
            return WalFileName.parse(String.format("00000001%08X%08X", hash >>> 8, hash & 0xFF));
        }
    }

    private AnyPath() {
    }

    /** An archiver of files that calls {@code archiver} with the path each was requested as. */
    public static Function<WalDirectory.WalFile, ArchiveResult> byPath(Function<String, ArchiveResult> archiver) {
        return file -> archiver.apply(file.path().toString());
    }
}
