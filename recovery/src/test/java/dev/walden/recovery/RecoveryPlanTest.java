package dev.walden.recovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.walden.catalog.BackupCatalog;
import dev.walden.catalog.BackupLabel;
import dev.walden.catalog.BackupManifest;
import dev.walden.repo.Checksums;
import dev.walden.repo.Compression;
import dev.walden.repo.Repository;
import dev.walden.repo.StoredWal;
import dev.walden.storage.MemoryStorage;
import dev.walden.storage.ObjectWriter;
import dev.walden.wal.ClusterIdentity;
import dev.walden.wal.Lsn;
import dev.walden.wal.SyntheticWal;
import dev.walden.wal.WalFileName;
import dev.walden.wal.WalSegmentSize;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The plan {@code walden recover} follows, on a repository in memory. WAL segments are 1 MiB, so
 * LSN {@code 0/N00000} is the start of segment N (hex); segment n is archived n minutes after
 * {@link #T0}, as if the cluster filled one a minute.
 */
class RecoveryPlanTest {
    private static final ClusterIdentity CLUSTER = new ClusterIdentity(3L, 15, new WalSegmentSize(1024 * 1024));
    private static final WalSegmentSize SIZE = CLUSTER.segmentSize();
    private static final Instant T0 = Instant.parse("2026-11-20T02:00:00Z");
    private static final Optional<Integer> LATEST_TIMELINE = Optional.empty();
    private static final Optional<String> NEWEST_BACKUP = Optional.empty();

    private final MemoryStorage storage = new MemoryStorage();
    private Repository repository;

    @BeforeEach
    void setUp() throws IOException {
        repository = Repository.create(storage, CLUSTER, Clock.systemUTC());
    }

    /** Archives the segments of {@code timeline}, segment n as if n minutes after {@link #T0}. */
    private void wal(int timeline, long... segments) throws IOException {
        for (long segno : segments) {
            WalFileName name = WalFileName.segment(timeline, segno, SIZE);
            byte[] bytes = SyntheticWal.segment(CLUSTER, name, segno);
            StoredWal stored = repository.wal().store(name, Checksums.sha256(new ByteArrayInputStream(bytes)),
                    Compression.NONE, 0, new ByteArrayInputStream(bytes));
            storage.setModified(stored.key(), T0.plus(Duration.ofMinutes(segno)));
        }
    }

    private void history(int timeline, String content) throws IOException {
        byte[] bytes = content.getBytes(StandardCharsets.US_ASCII);
        repository.wal().store(WalFileName.history(timeline), Checksums.sha256(new ByteArrayInputStream(bytes)),
                Compression.NONE, 0, new ByteArrayInputStream(bytes));
    }

    /** Writes the manifest of a backup that began at {@code start} and ended 30 s later; returns its label. */
    private String backup(String start, int timeline, String startLsn, String stopLsn, String status, String detail)
            throws IOException {
        Instant began = Instant.parse(start);
        String label = BackupLabel.at(began).value();
        new BackupCatalog(storage).write(new BackupManifest(BackupManifest.FORMAT, label, status, detail, "3", "15.8",
                15, SIZE.bytes(), began.toString(), began.plusSeconds(30).toString(), startLsn, stopLsn, timeline,
                timeline, name(timeline, Lsn.parse(startLsn).segmentNumber(SIZE)).toString(),
                name(timeline, Lsn.parse(stopLsn).segmentNumber(SIZE)).toString(), "none", 10, 10, false, List.of(),
                List.of(), List.of(), List.of()));
        return label;
    }

    private String complete(String start, String startLsn, String stopLsn) throws IOException {
        return backup(start, 1, startLsn, stopLsn, BackupManifest.COMPLETE, null);
    }

    /**
     * Three complete backups of timeline 1, the WAL from segment 1 to 10, and an incomplete backup
     * that would be the one to use if it were usable.
     */
    private void threeBackups() throws IOException {
        wal(1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
        complete("2026-11-20T02:01:10Z", "0/200028", "0/240000"); // A: ends 02:01:40 in segment 2
        complete("2026-11-20T02:04:10Z", "0/500028", "0/540000"); // B: ends 02:04:40 in segment 5
        backup("2026-11-20T02:05:10Z", 1, "0/600028", "0/640000", BackupManifest.INCOMPLETE,
                "WAL file 000000010000000000000006 was not archived");
        complete("2026-11-20T02:07:10Z", "0/800028", "0/840000"); // C: ends 02:07:40 in segment 8
    }

    private static WalFileName name(int timeline, long segno) {
        return WalFileName.segment(timeline, segno, SIZE);
    }

    /** Segments {@code first} to {@code last} of {@code timeline}. */
    private static List<WalFileName> run(int timeline, long first, long last) {
        List<WalFileName> names = new ArrayList<>();
        for (long segno = first; segno <= last; segno++) {
            names.add(name(timeline, segno));
        }
        return names;
    }

    private static List<WalFileName> concat(List<WalFileName> a, List<WalFileName> b) {
        List<WalFileName> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    private static RecoveryTarget lsn(String lsn) {
        return new RecoveryTarget.AtLsn(Lsn.parse(lsn));
    }

    private static RecoveryTarget time(String at) {
        return new RecoveryTarget.Time(OffsetDateTime.parse(at));
    }

    private RecoveryPlan plan(RecoveryTarget target) throws IOException {
        return RecoveryPlan.make(repository, target, LATEST_TIMELINE, NEWEST_BACKUP);
    }

    private String refusal(RecoveryTarget target, Optional<Integer> timeline, Optional<String> backup) {
        return assertThrows(IOException.class, () -> RecoveryPlan.make(repository, target, timeline, backup))
                .getMessage();
    }

    @Test
    void anLsnTargetStartsFromTheNewestUsableBackupThatEndedAtOrBeforeIt() throws IOException {
        threeBackups();

        RecoveryPlan plan = plan(lsn("0/700000"));
        assertEquals("20261120T020410Z", plan.backup().label(), "B, not the incomplete one after it, nor C");
        assertEquals(run(1, 5, 7), plan.segments(), "from B's start WAL to the target's");
        assertEquals(List.of(), plan.histories(), "timeline 1 has no history");
        assertEquals(1, plan.path().target());

        RecoveryPlan atTheEnd = plan(lsn("0/540000"));
        assertEquals("20261120T020410Z", atTheEnd.backup().label(), "a backup that ends at the target will do");
        assertEquals(run(1, 5, 5), atTheEnd.segments());

        RecoveryPlan justBefore = plan(lsn("0/53FFFF"));
        assertEquals("20261120T020110Z", justBefore.backup().label(), "B ends a byte too late: A");
        assertEquals(run(1, 2, 5), justBefore.segments());
    }

    @Test
    void aTimeTargetStartsFromTheNewestUsableBackupThatEndedAtOrBeforeIt() throws IOException {
        threeBackups();

        RecoveryPlan plan = plan(time("2026-11-20T02:06:30Z"));
        assertEquals("20261120T020410Z", plan.backup().label(), "B, not the incomplete one after it, nor C");
        // segment 7 is the first archived after 02:06:30: recovery must read it; 8 usually holds
        // the first commit after the target
        assertEquals(run(1, 5, 8), plan.segments());

        RecoveryPlan atTheEnd = plan(time("2026-11-20T02:04:40Z"));
        assertEquals("20261120T020410Z", atTheEnd.backup().label(), "B ended at 02:04:40 exactly");
        assertEquals(run(1, 5, 6), atTheEnd.segments());

        assertEquals("20261120T020110Z", plan(time("2026-11-20T02:04:39Z")).backup().label());
    }

    @Test
    void aTargetBeforeTheOldestBackupEndedIsRefused() throws IOException {
        threeBackups();
        assertEquals("time 2026-11-20T02:01:20Z is before the end of the oldest usable backup (20261120T020110Z, "
                        + "consistent at 2026-11-20T02:01:40Z); recovery can't go back further than that",
                refusal(time("2026-11-20T02:01:20Z"), LATEST_TIMELINE, NEWEST_BACKUP));
        assertEquals("LSN 0/230000 is before the end of the oldest usable backup (20261120T020110Z, "
                        + "consistent at 0/240000); recovery can't go back further than that",
                refusal(lsn("0/230000"), LATEST_TIMELINE, NEWEST_BACKUP));
    }

    @Test
    void aTimeAfterTheNewestArchivedWalIsRefused() throws IOException {
        threeBackups();
        assertEquals("time 2026-11-20T02:10:30Z is after the newest archived WAL (00000001000000000000000A, archived "
                        + "2026-11-20T02:10:00Z): what happened after that is not in the archive",
                refusal(time("2026-11-20T02:10:30Z"), LATEST_TIMELINE, NEWEST_BACKUP));
    }

    @Test
    void theEndOfTheBackupNeedsItsOwnWalAndTheLatestEverythingArchived() throws IOException {
        wal(1, 1, 2, 3, 4, 5, 6, 7);
        complete("2026-11-20T02:01:10Z", "0/200028", "0/240000");
        String newest = complete("2026-11-20T02:03:10Z", "0/300028", "0/480000"); // ends in the next segment

        RecoveryPlan immediate = plan(new RecoveryTarget.Immediate());
        assertEquals(newest, immediate.backup().label());
        assertEquals(run(1, 3, 4), immediate.segments(), "from the start WAL to the stop WAL");

        RecoveryPlan latest = plan(new RecoveryTarget.Latest());
        assertEquals(newest, latest.backup().label());
        assertEquals(run(1, 3, 7), latest.segments());
        assertEquals(Optional.empty(), latest.gap(), "no gap: the archive simply ends");
    }

    @Test
    void theLatestEndsAtTheFirstGap() throws IOException {
        wal(1, 1, 2, 3, 4, 6, 7);
        complete("2026-11-20T02:01:10Z", "0/200028", "0/240000");
        assertEquals(run(1, 2, 4), plan(new RecoveryTarget.Latest()).segments(),
                "recovery can't cross the missing segment 5, so it isn't planned to");
        assertEquals(Optional.of(run(1, 5, 5).get(0)), plan(new RecoveryTarget.Latest()).gap(),
                "and the plan names it: WAL was archived after it");
    }

    @Test
    void aNamedBackupIsUsedThoughANewerOneEndedBeforeTheTarget() throws IOException {
        threeBackups();
        RecoveryPlan plan = RecoveryPlan.make(repository, lsn("0/900000"), LATEST_TIMELINE,
                Optional.of("20261120T020110Z"));
        assertEquals("20261120T020110Z", plan.backup().label());
        assertEquals(run(1, 2, 9), plan.segments());

        RecoveryPlan latest = RecoveryPlan.make(repository, new RecoveryTarget.Latest(), LATEST_TIMELINE,
                Optional.of("20261120T020410Z"));
        assertEquals("20261120T020410Z", latest.backup().label());
        assertEquals(run(1, 5, 10), latest.segments());
    }

    @Test
    void aNamedBackupThatIsNotUsableIsRefusedWithItsStatus() throws IOException {
        threeBackups();
        backup("2026-11-20T02:09:10Z", 1, "0/A00028", "0/A40000", BackupManifest.INCOMPLETE, null);
        try (ObjectWriter w = storage.write("backups/20261120T020950Z/data/PG_VERSION")) {
            w.stream().write("15\n".getBytes(StandardCharsets.US_ASCII));
            w.commit(); // a backup cut short before it wrote its manifest
        }
        RecoveryTarget latest = new RecoveryTarget.Latest();

        assertEquals("backup 20261120T020510Z is incomplete (WAL file 000000010000000000000006 was not archived) "
                + "and can't be recovered from", refusal(latest, LATEST_TIMELINE, Optional.of("20261120T020510Z")));
        assertEquals("backup 20261120T020910Z is incomplete and can't be recovered from",
                refusal(latest, LATEST_TIMELINE, Optional.of("20261120T020910Z")));
        assertEquals("backup 20261120T020950Z is interrupted and can't be recovered from",
                refusal(latest, LATEST_TIMELINE, Optional.of("20261120T020950Z")));
    }

    @Test
    void aNamedBackupThatIsNotThereIsNamed() throws IOException {
        threeBackups();
        assertEquals("no backup 20261120T020000Z in the repository ('walden list' shows them)",
                refusal(new RecoveryTarget.Latest(), LATEST_TIMELINE, Optional.of("20261120T020000Z")));
    }

    @Test
    void aNamedBackupThatEndedAfterTheTargetIsRefused() throws IOException {
        threeBackups();
        // PostgreSQL would stop before the backup is consistent, after the whole restore
        assertEquals("LSN 0/700000 is before the end of backup 20261120T020710Z (consistent at 0/840000); recovery "
                        + "from it can't stop earlier than that",
                refusal(lsn("0/700000"), LATEST_TIMELINE, Optional.of("20261120T020710Z")));
        assertEquals("time 2026-11-20T02:06:30Z is before the end of backup 20261120T020710Z (consistent at "
                        + "2026-11-20T02:07:40Z); recovery from it can't stop earlier than that",
                refusal(time("2026-11-20T02:06:30Z"), LATEST_TIMELINE, Optional.of("20261120T020710Z")));
    }

    @Test
    void withoutAUsableBackupThereIsNothingToRecoverFrom() throws IOException {
        String none = "the repository holds no usable base backup; take one with 'walden backup'";
        assertEquals(none, refusal(new RecoveryTarget.Latest(), LATEST_TIMELINE, NEWEST_BACKUP), "empty repository");

        wal(1, 1, 2, 3);
        backup("2026-11-20T02:01:10Z", 1, "0/200028", "0/240000", BackupManifest.INCOMPLETE,
                "WAL file 000000010000000000000002 was not archived");
        assertEquals(none, refusal(new RecoveryTarget.Latest(), LATEST_TIMELINE, NEWEST_BACKUP));
        assertEquals(none, refusal(lsn("0/300000"), LATEST_TIMELINE, NEWEST_BACKUP));
    }

    @Test
    void aGapBetweenTheBackupAndTheTargetNamesTheMissingSegment() throws IOException {
        wal(1, 1, 2, 3, 4, 6, 7, 8);
        String backup = complete("2026-11-20T02:01:10Z", "0/200028", "0/240000");

        assertEquals("WAL file 000000010000000000000005 is missing from the repository; recovery to LSN 0/700000 "
                        + "from backup " + backup + " needs it ('walden list' shows the gaps)",
                refusal(lsn("0/700000"), LATEST_TIMELINE, NEWEST_BACKUP));
        assertEquals(run(1, 2, 4), plan(lsn("0/4FFFFF")).segments(), "before the gap the target can be reached");
    }

    @Test
    void aGapBetweenTheBackupAndATargetTimeNamesTheMissingSegment() throws IOException {
        wal(1, 1, 2, 3, 4, 6, 7, 8);
        String backup = complete("2026-11-20T02:01:10Z", "0/200028", "0/240000");
        // not "after the newest archived WAL": 6 to 8 were archived later, waiting won't help
        assertEquals("WAL file 000000010000000000000005 is missing from the repository; recovery to time "
                        + "2026-11-20T02:06:30Z from backup " + backup + " needs it ('walden list' shows the gaps)",
                refusal(time("2026-11-20T02:06:30Z"), LATEST_TIMELINE, NEWEST_BACKUP));
    }

    @Test
    void aGapInTheBackupsOwnWalNamesTheMissingSegment() throws IOException {
        wal(1, 1, 2, 4, 5);
        String backup = complete("2026-11-20T02:01:10Z", "0/200028", "0/380000");
        assertEquals("WAL file 000000010000000000000003 is missing from the repository; recovery to the end of the "
                        + "backup from backup " + backup + " needs it ('walden list' shows the gaps)",
                refusal(new RecoveryTarget.Immediate(), LATEST_TIMELINE, NEWEST_BACKUP));
    }

    /** Timeline 2 branched off timeline 1 in the middle of segment 3; both went on archiving. */
    private void twoTimelines() throws IOException {
        wal(1, 1, 2, 3, 4, 5, 6);
        history(2, "1\t0/380000\tno recovery target specified\n");
        wal(2, 3, 4, 5, 6);
    }

    @Test
    void aTimelineSwitchIsFollowedFromTheSegmentItHappenedIn() throws IOException {
        twoTimelines();
        complete("2026-11-20T02:00:10Z", "0/100028", "0/140000");

        RecoveryPlan latest = plan(new RecoveryTarget.Latest());
        assertEquals(2, latest.path().target(), "the newest timeline by default");
        assertEquals(concat(run(1, 1, 2), run(2, 3, 6)), latest.segments(),
                "segment 3 from timeline 2: it holds timeline 1's WAL up to the switch, then timeline 2's");
        assertEquals(List.of(WalFileName.history(2)), latest.histories());

        RecoveryPlan onTwo = RecoveryPlan.make(repository, lsn("0/500000"), Optional.of(2), NEWEST_BACKUP);
        assertEquals(concat(run(1, 1, 2), run(2, 3, 5)), onTwo.segments());
        assertEquals(List.of(WalFileName.history(2)), onTwo.histories());

        RecoveryPlan onOne = RecoveryPlan.make(repository, new RecoveryTarget.Latest(), Optional.of(1),
                NEWEST_BACKUP);
        assertEquals(1, onOne.path().target());
        assertEquals(run(1, 1, 6), onOne.segments(), "the old timeline can still be chosen");
        assertEquals(List.of(), onOne.histories());
    }

    @Test
    void aGapOnTheNewTimelineIsNotFilledFromTheOld() throws IOException {
        wal(1, 1, 2, 3, 4, 5, 6);
        history(2, "1\t0/380000\tno recovery target specified\n");
        wal(2, 3, 5, 6);
        String backup = complete("2026-11-20T02:00:10Z", "0/100028", "0/140000");
        assertEquals("WAL file 000000020000000000000004 is missing from the repository; recovery to LSN 0/500000 "
                        + "from backup " + backup + " needs it ('walden list' shows the gaps)",
                refusal(lsn("0/500000"), LATEST_TIMELINE, NEWEST_BACKUP));
    }

    @Test
    void historiesOfEveryTimelineOnThePathAreListed() throws IOException {
        wal(1, 1, 2, 3);
        history(2, "1\t0/300000\tno recovery target specified\n");
        wal(2, 3, 4, 5);
        history(3, "1\t0/300000\tno recovery target specified\n2\t0/500000\tno recovery target specified\n");
        wal(3, 5, 6);
        backup("2026-11-20T02:03:10Z", 2, "0/300028", "0/340000", BackupManifest.COMPLETE, null);

        RecoveryPlan plan = plan(new RecoveryTarget.Latest());
        assertEquals(3, plan.path().target());
        assertEquals(concat(run(2, 3, 4), run(3, 5, 6)), plan.segments());
        assertEquals(List.of(WalFileName.history(2), WalFileName.history(3)), plan.histories());
    }

    @Test
    void aTimelineThatBranchedOffBeforeTheBackupEndedIsNotFollowed() throws IOException {
        twoTimelines();
        String before = complete("2026-11-20T02:00:10Z", "0/100028", "0/140000");
        // timeline 1 went on after timeline 2 branched off it: this backup is not in timeline 2's past
        String after = complete("2026-11-20T02:04:10Z", "0/500028", "0/540000");

        assertEquals("timeline 2 does not descend from the backup's timeline 1 (its history: 1 until 0/380000; the "
                        + "backup ended at 0/540000)",
                refusal(new RecoveryTarget.Latest(), Optional.of(2), Optional.of(after)));
        RecoveryPlan latest = RecoveryPlan.make(repository, new RecoveryTarget.Latest(), LATEST_TIMELINE,
                Optional.of(after));
        assertEquals(run(1, 5, 6), latest.segments(), "timeline 2's WAL never replays onto this backup");

        RecoveryPlan fromBefore = RecoveryPlan.make(repository, new RecoveryTarget.Latest(), Optional.of(2),
                Optional.of(before));
        assertEquals(concat(run(1, 1, 2), run(2, 3, 6)), fromBefore.segments());
    }
}
