package dev.walden.recovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.catalog.BackupCatalog;
import dev.walden.catalog.BackupLabel;
import dev.walden.catalog.BackupManifest;
import dev.walden.catalog.WalCatalog;
import dev.walden.repo.Checksums;
import dev.walden.repo.Compression;
import dev.walden.repo.Repository;
import dev.walden.storage.MemoryStorage;
import dev.walden.wal.ClusterIdentity;
import dev.walden.wal.SyntheticWal;
import dev.walden.wal.WalFileName;
import dev.walden.wal.WalSegmentSize;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class RepositoryReportTest {
    private static final ClusterIdentity CLUSTER = new ClusterIdentity(3L, 15, new WalSegmentSize(1024 * 1024));

    private MemoryStorage storage;
    private Repository repository;

    @BeforeEach
    void setUp() throws IOException {
        storage = new MemoryStorage();
        repository = Repository.create(storage, CLUSTER, Clock.systemUTC());
    }

    private void wal(int timeline, long... segments) throws IOException {
        for (long segno : segments) {
            WalFileName name = WalFileName.segment(timeline, segno, CLUSTER.segmentSize());
            byte[] bytes = SyntheticWal.segment(CLUSTER, name, segno);
            repository.wal().store(name, Checksums.sha256(new ByteArrayInputStream(bytes)), Compression.NONE, 0,
                    new ByteArrayInputStream(bytes));
        }
    }

    private void backup(String start, long startSegment, String status) throws IOException {
        String wal = WalFileName.segment(1, startSegment, CLUSTER.segmentSize()).toString();
        new BackupCatalog(storage).write(new BackupManifest(1, BackupLabel.at(Instant.parse(start)).value(), status,
                status.equals(BackupManifest.COMPLETE) ? null : "WAL file x was not archived", "3", "15.18", 15,
                CLUSTER.segmentSize().bytes(), start, Instant.parse(start).plusSeconds(30).toString(), "0/0", "0/0",
                1, 1, wal, wal, "zstd", 10, 5, false, List.of(), List.of(), List.of(), List.of()));
    }

    @Test
    void anIncompleteBackupIsListedButNeverUsable() throws IOException {
        wal(1, 1, 2, 3);
        backup("2026-11-20T02:00:00Z", 2, BackupManifest.INCOMPLETE);
        RepositoryReport report = RepositoryReport.of(repository);
        assertEquals(1, report.backups().size());
        assertFalse(report.backups().get(0).usable());
        assertEquals("WAL file x was not archived", report.backups().get(0).statusDetail());
        assertNull(report.recoverable(), "nothing can be recovered without a complete backup");
        StringWriter out = new StringWriter();
        ListCommand.print(report, new PrintWriter(out));
        assertTrue(out.toString().contains("incomplete") && out.toString().contains("Recoverable: nothing yet"),
                out.toString());
    }

    @Test
    void gapsAreShownAndTheWindowEndsBeforeTheFirstGap() throws IOException {
        wal(1, 1, 2, 3, 4, 7, 8);
        backup("2026-11-20T02:00:00Z", 2, BackupManifest.COMPLETE);
        RepositoryReport report = RepositoryReport.of(repository);
        assertEquals(List.of(new WalCatalog.Gap(1, "000000010000000000000004", "000000010000000000000007", 2)),
                report.wal().gaps());
        assertEquals(2, report.wal().ranges().size());
        assertEquals("2026-11-20T02:00:30Z", report.recoverable().earliest());
        assertEquals("000000010000000000000004", report.recoverable().latestWal(), "WAL after the gap can't be reached");
        StringWriter out = new StringWriter();
        ListCommand.print(report, new PrintWriter(out));
        assertTrue(out.toString().contains("GAP on timeline 1: 2 segment(s) missing between 000000010000000000000004 "
                + "and 000000010000000000000007"), out.toString());
    }

    @Test
    void aLaterTimelineContinuesTheRun() throws IOException {
        wal(1, 1, 2, 3);
        wal(2, 4, 5);
        backup("2026-11-20T02:00:00Z", 1, BackupManifest.COMPLETE);
        assertEquals("000000020000000000000005", RepositoryReport.of(repository).recoverable().latestWal());
    }
}
