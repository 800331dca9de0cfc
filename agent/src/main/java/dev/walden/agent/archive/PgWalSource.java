package dev.walden.agent.archive;

import dev.walden.backup.BaseBackup;
import dev.walden.wal.WalFileName;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Gets the WAL a base backup needs into the repository straight from pg_wal, without waiting for
 * PostgreSQL's archiver to get to it. Archiving a file PostgreSQL pushes too is harmless: the
 * second one finds it already archived, identical.
 */
public final class PgWalSource implements BaseBackup.WalSource {
    private final SegmentArchiver archiver;
    private final Path pgWal;

    public PgWalSource(SegmentArchiver archiver, Path pgWal) {
        this.archiver = archiver;
        this.pgWal = pgWal;
    }

    @Override
    public boolean archive(WalFileName name) {
        Path file = pgWal.resolve(name.toString());
        return Files.exists(file) && archiver.archive(file.toString()) instanceof ArchiveResult.Stored;
    }
}
