package dev.walden.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The exclusion rules on a data directory laid out by hand; the real one is covered end to end. */
class ExclusionRulesTest {
    @TempDir
    Path dir;

    private void file(String path) throws IOException {
        Path p = dir.resolve("pgdata").resolve(path);
        Files.createDirectories(p.getParent());
        Files.write(p, new byte[] {1});
    }

    @Test
    void scanKeepsWhatRecoveryNeedsAndLeavesOutWhatPostgresExcludes() throws IOException {
        for (String path : List.of("PG_VERSION", "postgresql.conf", "global/pg_control", "global/1262",
                "base/5/1259", "base/5/1259_fsm", "base/5/1259_vm", "base/5/16384", "base/5/16384.1",
                // an unlogged relation: only its init fork is copied
                "base/5/16400", "base/5/16400_fsm", "base/5/16400_init", "base/5/16400.1",
                // temporary relations and files
                "base/5/t3_16500", "base/5/t3_16500_fsm", "base/pgsql_tmp/pgsql_tmp1234.0",
                "base/5/pg_internal.init", "global/pg_internal.init",
                // excluded at the top
                "postmaster.pid", "postmaster.opts", "backup_label", "tablespace_map", "recovery.signal",
                "standby.signal", "postgresql.auto.conf.tmp",
                // contents excluded, directories kept
                "pg_wal/000000010000000000000001", "pg_wal/archive_status/000000010000000000000001.done",
                "pg_replslot/slot/state", "pg_stat_tmp/global.stat", "pg_subtrans/0000", "pg_notify/0000",
                "pg_serial/0000", "pg_snapshots/0000-1", "pg_dynshmem/mmap.1",
                // copied
                "pg_xact/0000", "pg_stat/pgstat.stat")) {
            file(path);
        }
        DataDirectoryScan scan = DataDirectoryScan.of(dir.resolve("pgdata"));
        Set<String> copied = scan.files().stream().map(DataDirectoryScan.SourceFile::path).collect(Collectors.toSet());
        assertEquals(Set.of("PG_VERSION", "postgresql.conf", "global/1262", "base/5/1259", "base/5/1259_fsm",
                "base/5/1259_vm", "base/5/16384", "base/5/16384.1", "base/5/16400_init", "pg_xact/0000",
                "pg_stat/pgstat.stat"), copied);
        assertEquals("global/pg_control", scan.pgControl().path(), "kept apart, to be copied last");
        for (String kept : List.of("pg_wal", "pg_wal/archive_status", "pg_replslot", "pg_stat_tmp", "pg_subtrans",
                "pg_notify", "pg_serial", "pg_snapshots", "pg_dynshmem", "base", "base/5", "global")) {
            assertTrue(scan.directories().contains(kept), kept + " is recreated empty");
        }
        assertFalse(scan.directories().contains("base/pgsql_tmp"));
        assertTrue(scan.files().stream().filter(f -> f.path().startsWith("base/5/1259")).allMatch(
                DataDirectoryScan.SourceFile::relation), "relation files get their page checksums checked");
        assertFalse(scan.files().stream().filter(f -> f.path().equals("pg_xact/0000")).findFirst().orElseThrow()
                .relation());
    }

    @Test
    void otherLinksArefollowedAndCopiedAsWhatTheyPointTo() throws IOException {
        file("global/pg_control");
        Path conf = Files.writeString(dir.resolve("etc-postgresql.conf"), "shared_buffers = 1GB\n");
        Files.createSymbolicLink(dir.resolve("pgdata/postgresql.conf"), conf);
        Path xact = Files.createDirectories(dir.resolve("fast-disk/pg_xact"));
        Files.write(xact.resolve("0000"), new byte[] {1});
        Files.createSymbolicLink(dir.resolve("pgdata/pg_xact"), xact);
        Files.createSymbolicLink(dir.resolve("pgdata/dangling.conf"), dir.resolve("nowhere"));
        DataDirectoryScan scan = DataDirectoryScan.of(dir.resolve("pgdata"));
        assertEquals(Set.of("postgresql.conf", "pg_xact/0000"),
                scan.files().stream().map(DataDirectoryScan.SourceFile::path).collect(Collectors.toSet()));
        assertTrue(scan.directories().contains("pg_xact"));
    }

    @Test
    void tablespaceLinksAreFollowed() throws IOException {
        file("global/pg_control");
        Files.writeString(dir.resolve("pgdata/PG_VERSION"), "15\n");
        Files.createDirectories(dir.resolve("ts/PG_14_202107181/5"));
        Files.write(dir.resolve("ts/PG_14_202107181/5/16000"), new byte[] {9}); // left by pg_upgrade
        Path location = Files.createDirectories(dir.resolve("ts/PG_15_202209061/5"));
        Files.write(location.resolve("16600"), new byte[] {2});
        Files.write(location.resolve("t4_16700"), new byte[] {3});
        Files.createDirectories(dir.resolve("pgdata/pg_tblspc"));
        Files.createSymbolicLink(dir.resolve("pgdata/pg_tblspc/16599"), dir.resolve("ts"));
        DataDirectoryScan scan = DataDirectoryScan.of(dir.resolve("pgdata"));
        assertEquals(1, scan.tablespaces().size());
        assertEquals("16599", scan.tablespaces().get(0).oid());
        assertEquals(dir.resolve("ts").toRealPath(), scan.tablespaces().get(0).location());
        assertEquals(List.of("PG_VERSION", "pg_tblspc/16599/PG_15_202209061/5/16600"),
                scan.files().stream().map(DataDirectoryScan.SourceFile::path).toList(),
                "only this major's directory of the tablespace");
        assertTrue(scan.directories().contains("pg_tblspc/16599/PG_15_202209061/5"));
    }
}
