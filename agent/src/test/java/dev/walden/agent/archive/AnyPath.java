package dev.walden.agent.archive;

import dev.walden.wal.WalFileName;
import java.nio.file.Path;
import java.util.function.Function;

/**
 * For tests of the dispatcher and the server that don't care about files: every requested path
 * passes the intake as it is, and the archiver sees the path it was asked for.
 */
public final class AnyPath {
    private static final WalFileName NAME = WalFileName.parse("000000010000000000000001");

    /** Takes every path as it is, without looking at the file system. */
    public static final ArchiveDispatcher.Intake INTAKE = path -> new WalDirectory.WalFile(NAME, Path.of(path));

    private AnyPath() {
    }

    /** An archiver of files that calls {@code archiver} with the path each was requested as. */
    public static Function<WalDirectory.WalFile, ArchiveResult> byPath(Function<String, ArchiveResult> archiver) {
        return file -> archiver.apply(file.path().toString());
    }
}
