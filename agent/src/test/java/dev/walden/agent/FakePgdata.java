package dev.walden.agent;

import dev.walden.wal.ClusterIdentity;
import dev.walden.wal.SyntheticWal;
import dev.walden.wal.WalFileName;
import dev.walden.wal.WalSegmentSize;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A data directory laid out as PostgreSQL lays it out (PG_VERSION, global/pg_control, pg_wal),
 * holding synthetic WAL with exact headers: for agent tests that need precise control over
 * what lands in pg_wal. The real server is exercised end to end in the dist module.
 */
public final class FakePgdata {
    public static final ClusterIdentity CLUSTER = new ClusterIdentity(7400000000000000001L, 15,
            new WalSegmentSize(1024 * 1024));

    public final Path pgdata;
    public final Path pgWal;

    public FakePgdata(Path dir) throws IOException {
        pgdata = dir.resolve("pgdata");
        pgWal = Files.createDirectories(pgdata.resolve("pg_wal"));
        Files.createDirectories(pgWal.resolve("archive_status"));
        Files.writeString(pgdata.resolve("PG_VERSION"), CLUSTER.pgMajor() + "\n");
        ClusterIdentity.writeMadeUpControlFile(pgdata, CLUSTER.systemIdentifier());
        segment("000000010000000000000001", 1);
    }

    /** Writes a valid segment of this cluster into pg_wal and returns its path. */
    public Path segment(String name, long seed) throws IOException {
        return Files.write(pgWal.resolve(name), SyntheticWal.segment(CLUSTER, WalFileName.parse(name), seed));
    }

    /** Writes a segment of another database system (same version and size) into pg_wal. */
    public Path foreignSegment(String name, long systemIdentifier) throws IOException {
        return Files.write(pgWal.resolve(name), SyntheticWal.segment(CLUSTER.walMagic(), systemIdentifier,
                CLUSTER.segmentSize(), WalFileName.parse(name), 1));
    }
}
