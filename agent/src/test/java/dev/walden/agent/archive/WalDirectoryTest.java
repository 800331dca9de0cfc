package dev.walden.agent.archive;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.agent.FakePgdata;
import dev.walden.wal.ClusterIdentity;
import dev.walden.wal.WalFileException.Reason;
import dev.walden.wal.WalFileException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WalDirectoryTest {
    @TempDir
    Path dir;
    FakePgdata pg;
    WalDirectory walDirectory;

    @BeforeEach
    void setUp() throws IOException {
        pg = new FakePgdata(dir);
        walDirectory = new WalDirectory(pg.pgdata, pg.pgWal);
    }

    private WalFileException refused(String path) {
        return assertThrows(WalFileException.class, () -> walDirectory.resolve(path));
    }

    @Test
    void acceptsAbsoluteAndPgdataRelativePaths() throws IOException {
        Path segment = pg.pgWal.resolve("000000010000000000000001");
        assertEquals(segment.toRealPath(), walDirectory.resolve(segment.toString()).path());
        assertEquals(segment.toRealPath(), walDirectory.resolve("pg_wal/000000010000000000000001").path());
    }

    @Test
    void aPushAndALookAheadOfOneFileResolveToOnePathThroughASymlinkedPgdata() throws IOException {
        // the dispatcher matches a push to a look-ahead of the same file by this path
        Path link = Files.createSymbolicLink(dir.resolve("link"), pg.pgdata);
        WalDirectory throughLink = new WalDirectory(link, link.resolve("pg_wal"));
        Path lookAhead = throughLink.resolve("pg_wal/000000010000000000000001").path();
        assertEquals(lookAhead, throughLink.resolve(pg.pgWal.toRealPath().resolve("000000010000000000000001")
                .toString()).path());
        assertEquals(lookAhead, throughLink.resolve(link + "/./pg_wal/000000010000000000000001").path());
    }

    @Test
    void followsASymlinkedPgWalDirectory() throws IOException {
        Path elsewhere = Files.createDirectories(dir.resolve("wal-disk"));
        Files.move(pg.pgWal.resolve("000000010000000000000001"), elsewhere.resolve("000000010000000000000001"));
        Files.delete(pg.pgWal.resolve("archive_status"));
        Files.delete(pg.pgWal);
        Files.createSymbolicLink(pg.pgWal, elsewhere);
        WalDirectory linked = new WalDirectory(pg.pgdata, pg.pgWal);
        assertEquals(elsewhere.resolve("000000010000000000000001").toRealPath(),
                linked.resolve("pg_wal/000000010000000000000001").path());
    }

    @Test
    void refusesPathsOutsidePgWal() throws IOException {
        Path outside = Files.createDirectories(dir.resolve("elsewhere"));
        Files.copy(pg.pgWal.resolve("000000010000000000000001"), outside.resolve("000000010000000000000002"));
        WalFileException e = refused(outside.resolve("000000010000000000000002").toString());
        assertEquals(Reason.OUTSIDE_PG_WAL, e.reason());
        assertTrue(e.getMessage().endsWith("is not inside pg_wal '" + pg.pgWal
                + "'; walden archives only files PostgreSQL wrote there (or in the pg_wal of a standby of this "
                + "cluster)"), e.getMessage());
        assertEquals(Reason.OUTSIDE_PG_WAL, refused("pg_wal/../elsewhere/000000010000000000000002").reason());
        assertEquals(Reason.OUTSIDE_PG_WAL, refused("pg_wal/archive_status/../../elsewhere/000000010000000000000002")
                .reason());
        assertEquals(Reason.OUTSIDE_PG_WAL, refused("pg_wal/archive_status/000000010000000000000001").reason());
        assertEquals(Reason.OUTSIDE_PG_WAL, refused("/nonexistent/dir/000000010000000000000001").reason());
    }

    @Test
    void acceptsThePgWalOfAStandbyOfThisClusterOnly() throws IOException {
        FakePgdata standby = new FakePgdata(Files.createDirectories(dir.resolve("standby")));
        Path segment = standby.segment("000000010000000000000002", 2);
        WalFileException copy = refused(segment.toString());
        assertEquals(Reason.OUTSIDE_PG_WAL, copy.reason());
        assertTrue(copy.getMessage().contains("a copy of this cluster that is not a standby (no standby.signal in "
                + standby.pgdata + ")"), copy.getMessage());
        Files.createFile(standby.pgdata.resolve("standby.signal"));
        assertEquals(segment.toRealPath(), walDirectory.resolve(segment.toString()).path(),
                "a standby's pg_wal: same system identifier, standby.signal");
        WalFileException missing = refused(standby.pgWal.resolve("000000010000000000000007").toString());
        assertEquals(Reason.FILE_NOT_FOUND, missing.reason());
        assertTrue(missing.getMessage().endsWith("pg_wal '" + standby.pgWal + "'"), missing.getMessage());

        FakePgdata other = new FakePgdata(Files.createDirectories(dir.resolve("other")));
        ClusterIdentity.writeMadeUpControlFile(other.pgdata, 42L);
        WalFileException foreign = refused(other.pgWal.resolve("000000010000000000000001").toString());
        assertEquals(Reason.OUTSIDE_PG_WAL, foreign.reason());
        assertTrue(foreign.getMessage().contains("another cluster (system identifier 42, not "
                + FakePgdata.CLUSTER.systemIdentifier() + ")"), foreign.getMessage());

        // a standby whose pg_wal is a symlink to another disk (initdb -X)
        Path walDisk = Files.createDirectories(dir.resolve("disk"));
        Files.createDirectories(dir.resolve("linked/global"));
        Files.copy(standby.pgdata.resolve("global/pg_control"), dir.resolve("linked/global/pg_control"));
        Files.createFile(dir.resolve("linked/standby.signal"));
        Path linkedWal = Files.createSymbolicLink(dir.resolve("linked/pg_wal"), walDisk);
        Files.copy(segment, walDisk.resolve("000000010000000000000002"));
        assertEquals(walDisk.resolve("000000010000000000000002").toRealPath(),
                walDirectory.resolve(linkedWal.resolve("000000010000000000000002").toString()).path(),
                "a standby's pg_wal through its symlink");
        Files.createFile(other.pgdata.resolve("standby.signal"));
        assertEquals(Reason.OUTSIDE_PG_WAL, refused(other.pgWal.resolve("000000010000000000000001").toString())
                .reason(), "another cluster's standby");
        Path loose = Files.createDirectories(dir.resolve("loose/pg_wal"));
        Files.copy(segment, loose.resolve("000000010000000000000002"));
        assertEquals(Reason.OUTSIDE_PG_WAL, refused(loose.resolve("000000010000000000000002").toString()).reason(),
                "a pg_wal without a data directory around it");
    }

    @Test
    void refusesASymlinkInsidePgWalThatEscapesIt() throws IOException {
        Path secret = Files.writeString(dir.resolve("secret"), "not WAL");
        Files.createSymbolicLink(pg.pgWal.resolve("000000010000000000000009"), secret);
        WalFileException e = refused("pg_wal/000000010000000000000009");
        assertEquals(Reason.OUTSIDE_PG_WAL, e.reason());
        assertTrue(e.getMessage().contains("is a symbolic link"), e.getMessage());
    }

    @Test
    void refusesBadNamesAndMissingFiles() {
        WalFileException badName = refused("pg_wal/../../../../etc/passwd");
        assertEquals(Reason.BAD_NAME, badName.reason());
        assertEquals("'passwd' is not a WAL file name (expected a segment, .partial, .backup or .history name)",
                badName.getMessage());
        assertEquals(Reason.BAD_NAME, refused("pg_wal/000000010000000000000001.ready").reason());
        assertEquals(Reason.BAD_NAME, refused("").reason());
        WalFileException missing = refused("pg_wal/000000010000000000000007");
        assertEquals(Reason.FILE_NOT_FOUND, missing.reason());
        assertEquals("'000000010000000000000007' does not exist in pg_wal '" + pg.pgWal + "'", missing.getMessage());
    }

    @Test
    void refusesADirectoryWithAWalName() throws IOException {
        Files.createDirectory(pg.pgWal.resolve("000000010000000000000005"));
        assertEquals(Reason.BAD_NAME, refused("pg_wal/000000010000000000000005").reason());
    }
}
