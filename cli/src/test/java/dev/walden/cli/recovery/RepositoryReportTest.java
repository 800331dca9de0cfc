package dev.walden.cli.recovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.catalog.BackupCatalog;
import dev.walden.catalog.BackupLabel;
import dev.walden.catalog.BackupManifest;
import dev.walden.catalog.RepositoryReport;
import dev.walden.catalog.WalCatalog;
import dev.walden.recovery.RecoveryPlan;
import dev.walden.recovery.RecoveryTarget;
import dev.walden.repo.Checksums;
import dev.walden.repo.Compression;
import dev.walden.repo.Repository;
import dev.walden.repo.StoredWal;
import dev.walden.storage.posix.PosixStorage;
import dev.walden.wal.ClusterIdentity;
import dev.walden.wal.SyntheticWal;
import dev.walden.wal.WalFileName;
import dev.walden.wal.WalSegmentSize;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RepositoryReportTest {
    private static final ClusterIdentity CLUSTER = new ClusterIdentity(3L, 15, new WalSegmentSize(1024 * 1024));

    /** Segment n of the tests is archived n minutes after this. */
    private static final Instant T0 = Instant.parse("2026-11-20T02:00:00Z");

    @TempDir
    Path dir;
    private PosixStorage storage;
    private Repository repository;

    @BeforeEach
    void setUp() throws IOException {
        storage = PosixStorage.create(dir.resolve("repository"));
        repository = Repository.create(storage, CLUSTER, Clock.systemUTC());
    }

    /** Archives the segments, segment n as if n minutes after {@link #T0}. */
    private void wal(int timeline, long... segments) throws IOException {
        for (long segno : segments) {
            WalFileName name = WalFileName.segment(timeline, segno, CLUSTER.segmentSize());
            byte[] bytes = SyntheticWal.segment(CLUSTER, name, segno);
            StoredWal stored = repository.wal().store(name, Checksums.sha256(new ByteArrayInputStream(bytes)),
                    Compression.NONE, 0, new ByteArrayInputStream(bytes));
            Files.setLastModifiedTime(storage.root().resolve(stored.key()),
                    FileTime.from(T0.plus(Duration.ofMinutes(segno))));
        }
    }

    private void history(int timeline, String content) throws IOException {
        byte[] bytes = content.getBytes(StandardCharsets.US_ASCII);
        repository.wal().store(WalFileName.history(timeline), Checksums.sha256(new ByteArrayInputStream(bytes)),
                Compression.NONE, 0, new ByteArrayInputStream(bytes));
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
        history(2, "1\t0/400000\tno recovery target specified\n");
        wal(2, 4, 5);
        backup("2026-11-20T02:00:00Z", 1, BackupManifest.COMPLETE);
        assertEquals("000000020000000000000005", RepositoryReport.of(repository).recoverable().latestWal());
    }

    @Test
    void aGapSplitsTheRecoverableTimeIntoWindowsThatRecoverAgreesWith() throws IOException {
        wal(1, 1, 2, 3, 4, 7, 8, 9, 10);
        backup("2026-11-20T02:00:00Z", 2, BackupManifest.COMPLETE); // consistent at 02:00:30, WAL until 4 (02:04)
        backup("2026-11-20T02:08:00Z", 8, BackupManifest.COMPLETE); // consistent at 02:08:30, WAL until 10 (02:10)
        RepositoryReport report = RepositoryReport.of(repository);
        assertEquals(List.of(
                new RepositoryReport.Window("2026-11-20T02:00:30Z", "20261120T020000Z", "2026-11-20T02:04:00Z",
                        "000000010000000000000004"),
                new RepositoryReport.Window("2026-11-20T02:08:30Z", "20261120T020800Z", "2026-11-20T02:10:00Z",
                        "00000001000000000000000A")), report.windows());
        assertEquals(report.windows().get(1), report.recoverable(), "the newest window, for older readers");
        StringWriter out = new StringWriter();
        ListCommand.print(report, new PrintWriter(out));
        assertTrue(out.toString().contains("Recoverable, in 2 windows (missing WAL splits them; nothing between them "
                + "can be recovered):\n  from 2026-11-20T02:00:30Z (end of backup 20261120T020000Z) to about "
                + "2026-11-20T02:04:00Z (000000010000000000000004 archived)\n  from 2026-11-20T02:08:30Z"), out.toString());

        // every moment the windows hold, and only those, is a target recover plans for
        for (Instant t = T0; t.isBefore(T0.plus(Duration.ofMinutes(12))); t = t.plusSeconds(20)) {
            Instant at = t.plusSeconds(5); // off the minute, where segments were archived
            boolean inWindow = report.windows().stream().anyMatch(w -> !at.isBefore(Instant.parse(w.earliest()))
                    && !at.isAfter(Instant.parse(w.latest())));
            boolean planned;
            try {
                RecoveryPlan.make(repository, new RecoveryTarget.Time(at.atOffset(ZoneOffset.UTC)), Optional.empty(),
                        Optional.empty());
                planned = true;
            } catch (IOException refused) {
                planned = false;
            }
            assertEquals(inWindow, planned, "at " + at);
        }
    }

    @Test
    void windowsJoinWhereTheNextBackupBeginsBeforeTheWalRunsOut() throws IOException {
        wal(1, 1, 2, 3, 4, 5, 6);
        backup("2026-11-20T02:00:00Z", 2, BackupManifest.COMPLETE);
        backup("2026-11-20T02:04:00Z", 4, BackupManifest.COMPLETE);
        RepositoryReport report = RepositoryReport.of(repository);
        assertEquals(List.of(new RepositoryReport.Window("2026-11-20T02:00:30Z", "20261120T020000Z",
                "2026-11-20T02:06:00Z", "000000010000000000000006")), report.windows());
        StringWriter out = new StringWriter();
        ListCommand.print(report, new PrintWriter(out));
        assertTrue(out.toString().contains("Recoverable: from 2026-11-20T02:00:30Z (end of backup 20261120T020000Z) "
                + "to about 2026-11-20T02:06:00Z (000000010000000000000006 archived)"), out.toString());
    }
}
