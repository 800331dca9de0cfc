package dev.walden.wal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A fake data directory laid out as PostgreSQL does; the real thing is covered end to end. */
class ClusterIdentityTest {
    private static final ClusterIdentity CLUSTER = new ClusterIdentity(7312345678901234567L, 15,
            new WalSegmentSize(1024 * 1024));

    @TempDir
    Path pgdata;
    Path pgWal;

    @BeforeEach
    void layout() throws IOException {
        pgWal = Files.createDirectories(pgdata.resolve("pg_wal/archive_status"));
        pgWal = pgWal.getParent();
        Files.writeString(pgdata.resolve("PG_VERSION"), "15\n");
        ClusterIdentity.writeMadeUpControlFile(pgdata, CLUSTER.systemIdentifier());
    }

    @Test
    void readsTheIdentityFromPgdataAndWal() throws IOException {
        // a pre-allocated zero segment sorts first and must be skipped for the header check
        Files.write(pgWal.resolve("000000010000000000000001"), new byte[CLUSTER.segmentSize().bytes()]);
        WalFileName name = WalFileName.parse("000000010000000000000002");
        Files.write(pgWal.resolve(name.toString()), SyntheticWal.segment(CLUSTER, name, 1));
        assertEquals(CLUSTER, ClusterIdentity.read(pgdata, pgWal));
    }

    @Test
    void explainsWhatIsMissing() throws IOException {
        IOException noSegments = assertThrows(IOException.class, () -> ClusterIdentity.read(pgdata, pgWal));
        assertTrue(noSegments.getMessage().endsWith("holds no WAL segment to learn the segment size from"),
                noSegments.getMessage());
        Files.writeString(pgdata.resolve("PG_VERSION"), "9.6\n");
        assertTrue(assertThrows(IOException.class, () -> ClusterIdentity.read(pgdata, pgWal)).getMessage()
                .contains("not a supported major version"));
        Files.delete(pgdata.resolve("PG_VERSION"));
        assertTrue(assertThrows(IOException.class, () -> ClusterIdentity.read(pgdata, pgWal)).getMessage()
                .endsWith("is not a PostgreSQL data directory: it has no PG_VERSION"));
    }

    @Test
    void refusesWalThatDisagreesWithPgControl() throws IOException {
        WalFileName name = WalFileName.parse("000000010000000000000002");
        Files.write(pgWal.resolve(name.toString()),
                SyntheticWal.segment(CLUSTER.walMagic(), 1L, CLUSTER.segmentSize(), name, 1));
        assertTrue(assertThrows(IOException.class, () -> ClusterIdentity.read(pgdata, pgWal)).getMessage()
                .contains("belongs to system 1, but pg_control says 7312345678901234567"));
    }
}
