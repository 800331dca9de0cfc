package dev.walden.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.walden.catalog.TimelinePath.Step;
import dev.walden.repo.Checksums;
import dev.walden.repo.Compression;
import dev.walden.repo.Repository;
import dev.walden.storage.MemoryStorage;
import dev.walden.wal.ClusterIdentity;
import dev.walden.wal.Lsn;
import dev.walden.wal.WalFileName;
import dev.walden.wal.WalSegmentSize;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Timeline paths read from history files in a repository in memory; 1 MiB segments: 0/N00000 starts segment N. */
class TimelinePathTest {
    private static final ClusterIdentity CLUSTER = new ClusterIdentity(3L, 15, new WalSegmentSize(1024 * 1024));
    private static final WalSegmentSize SIZE = CLUSTER.segmentSize();
    private static final Optional<Integer> LATEST = Optional.empty();
    /** Where the backups of these tests end, unless a test says otherwise: early in segment 1. */
    private static final Lsn EARLY = Lsn.parse("0/140000");

    private Repository repository;

    @BeforeEach
    void setUp() throws IOException {
        repository = Repository.create(new MemoryStorage(), CLUSTER, Clock.systemUTC());
    }

    private void history(int timeline, String content) throws IOException {
        byte[] bytes = content.getBytes(StandardCharsets.US_ASCII);
        repository.wal().store(WalFileName.history(timeline), Checksums.sha256(new ByteArrayInputStream(bytes)),
                Compression.NONE, 0, new ByteArrayInputStream(bytes));
    }

    private TimelinePath resolve(int backupTimeline, Lsn backupEnd, Optional<Integer> target) throws IOException {
        return TimelinePath.resolve(repository.wal(), backupTimeline, backupEnd, target, SIZE);
    }

    private String refusal(int backupTimeline, Lsn backupEnd, Optional<Integer> target) {
        return assertThrows(IOException.class, () -> resolve(backupTimeline, backupEnd, target)).getMessage();
    }

    private static String segmentOf(TimelinePath path, String lsn) {
        return path.segmentOf(Lsn.parse(lsn), SIZE).toString();
    }

    @Test
    void withoutHistoryTheBackupsTimelineIsThePath() throws IOException {
        TimelinePath latest = resolve(1, EARLY, LATEST);
        assertEquals(List.of(new Step(1, 0)), latest.steps());
        assertEquals(1, latest.target());
        assertEquals("000000010000000000000005", segmentOf(latest, "0/500028"));
        assertEquals(List.of(new Step(1, 0)), resolve(1, EARLY, Optional.of(1)).steps());

        TimelinePath third = resolve(3, EARLY, LATEST);
        assertEquals(3, third.target(), "a backup on timeline 3 stays there when no 4.history is archived");
        assertEquals("00000003000000010000000A", segmentOf(third, "1/A00000"));
    }

    @Test
    void theSegmentOfASwitchBelongsToTheNewTimeline() throws IOException {
        history(2, "1\t0/380000\tno recovery target specified\n");
        TimelinePath path = resolve(1, EARLY, LATEST);
        assertEquals(List.of(new Step(1, 0), new Step(2, 3)), path.steps());
        assertEquals(2, path.target());
        assertEquals(1, path.timelineFor(2));
        assertEquals(2, path.timelineFor(3));
        assertEquals(2, path.timelineFor(4));
        assertEquals("000000010000000000000002", segmentOf(path, "0/2FFFFF"));
        // timeline 2's copy of segment 3 holds timeline 1's WAL up to the switch, then its own
        assertEquals("000000020000000000000003", segmentOf(path, "0/37FFFF"));
        assertEquals("000000020000000000000003", segmentOf(path, "0/380000"));
        assertEquals("000000020000000000000004", segmentOf(path, "0/400000"));
    }

    @Test
    void aSwitchAtASegmentBoundaryLeavesTheSegmentBeforeToTheOldTimeline() throws IOException {
        history(2, "1\t0/400000\tno recovery target specified\n");
        TimelinePath path = resolve(1, EARLY, Optional.of(2));
        assertEquals(List.of(new Step(1, 0), new Step(2, 4)), path.steps());
        assertEquals("000000010000000000000003", segmentOf(path, "0/3FFFFF"));
        assertEquals("000000020000000000000004", segmentOf(path, "0/400000"));
    }

    @Test
    void latestIsTheNewestTimelineBeforeTheFirstMissingHistory() throws IOException {
        history(2, "1\t0/300000\tno recovery target specified\n");
        history(3, "1\t0/300000\tno recovery target specified\n2\t0/600000\tno recovery target specified\n");
        // no 4.history: PostgreSQL stops probing there, and never sees 5
        history(5, "1\t0/300000\t\n2\t0/600000\t\n3\t0/800000\t\n4\t0/900000\t\n");

        TimelinePath latest = resolve(1, EARLY, LATEST);
        assertEquals(3, latest.target());
        assertEquals(List.of(new Step(1, 0), new Step(2, 3), new Step(3, 6)), latest.steps());
        assertEquals("000000010000000000000002", segmentOf(latest, "0/200000"));
        assertEquals("000000020000000000000005", segmentOf(latest, "0/500000"));
        assertEquals("000000030000000000000007", segmentOf(latest, "0/700000"));

        assertEquals(List.of(new Step(1, 0), new Step(2, 3)), resolve(1, EARLY, Optional.of(2)).steps(),
                "an older timeline when asked for");
        assertEquals(List.of(new Step(2, 3), new Step(3, 6)), resolve(2, Lsn.parse("0/340000"), LATEST).steps(),
                "from a backup on timeline 2, the path starts where timeline 2 does");
    }

    @Test
    void aTimelineOfAnotherBranchIsRefusedNamingBoth() throws IOException {
        history(2, "1\t0/300000\tno recovery target specified\n");
        history(3, "1\t0/500000\tbefore transaction 1234\n"); // branched off timeline 1, not 2
        Lsn onTwo = Lsn.parse("0/340000");
        assertEquals("timeline 3 does not descend from the backup's timeline 2 (its history: 1 until 0/500000; the "
                + "backup ended at 0/340000)", refusal(2, onTwo, Optional.of(3)));
        assertEquals("timeline 2 is older than the backup's timeline 3", refusal(3, EARLY, Optional.of(2)));
    }

    @Test
    void aTimelineThatBranchedOffBeforeTheBackupEndedDoesNotDescendFromIt() throws IOException {
        history(2, "1\t0/380000\tno recovery target specified\n");
        // timeline 1 went on after the switch, and a backup of it ended in segment 5
        assertEquals("timeline 2 does not descend from the backup's timeline 1 (its history: 1 until 0/380000; the "
                + "backup ended at 0/540000)", refusal(1, Lsn.parse("0/540000"), Optional.of(2)));
        assertEquals(List.of(new Step(1, 0)), resolve(1, Lsn.parse("0/540000"), LATEST).steps(),
                "latest doesn't take timeline 2 either");
        assertEquals("timeline 2 does not descend from the backup's timeline 1 (its history: 1 until 0/380000; the "
                + "backup ended at 0/380001)", refusal(1, Lsn.parse("0/380001"), Optional.of(2)));

        assertEquals(List.of(new Step(1, 0), new Step(2, 3)), resolve(1, Lsn.parse("0/380000"), Optional.of(2))
                .steps(), "a backup that ended right at the switch is in timeline 2's past");
    }

    @Test
    void aMissingHistoryIsNamed() {
        assertEquals("timeline 2 is not in the archive (no 00000002.history)", refusal(1, EARLY, Optional.of(2)));
        assertEquals("timeline 26 is not in the archive (no 0000001A.history)", refusal(1, EARLY, Optional.of(26)));
    }
}
