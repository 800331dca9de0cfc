package dev.walden.retention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.catalog.BackupCatalog;
import dev.walden.catalog.ChangeMarker;
import dev.walden.catalog.BackupLabel;
import dev.walden.catalog.BackupManifest;
import dev.walden.catalog.DumpCatalog;
import dev.walden.catalog.DumpManifest;
import dev.walden.repo.Checksums;
import dev.walden.repo.Compression;
import dev.walden.repo.Repository;
import dev.walden.storage.MemoryStorage;
import dev.walden.storage.ObjectWriter;
import dev.walden.storage.StorageLock;
import dev.walden.wal.ClusterIdentity;
import dev.walden.wal.SyntheticWal;
import dev.walden.wal.WalFileName;
import dev.walden.wal.WalSegmentSize;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Retention on a repository laid out by hand, with a clock the test controls. */
class ExpirerTest {
    private static final ClusterIdentity CLUSTER = new ClusterIdentity(1L, 15, new WalSegmentSize(1024 * 1024));
    private static final Instant NOW = Instant.parse("2026-11-24T02:00:00Z");
    private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

    private MemoryStorage storage;
    private Repository repository;

    @BeforeEach
    void setUp() throws IOException {
        storage = new MemoryStorage();
        repository = Repository.create(storage, CLUSTER, CLOCK);
        // WAL segments 1..40 on timeline 1, and a history file
        for (int segno = 1; segno <= 40; segno++) {
            WalFileName name = WalFileName.segment(1, segno, CLUSTER.segmentSize());
            byte[] bytes = SyntheticWal.segment(CLUSTER, name, segno);
            repository.wal().store(name, Checksums.sha256(new ByteArrayInputStream(bytes)), Compression.NONE, 0,
                    new ByteArrayInputStream(bytes));
        }
        byte[] history = "1\t0/1000000\tx\n".getBytes();
        repository.wal().store(WalFileName.parse("00000002.history"),
                Checksums.sha256(new ByteArrayInputStream(history)), Compression.NONE, 0, new ByteArrayInputStream(history));
    }

    /** A backup that started {@code daysAgo} before now, at segment {@code startSegment}. */
    private void backup(double daysAgo, long startSegment, String status) throws IOException {
        Instant start = NOW.minusSeconds((long) (daysAgo * 86400));
        BackupLabel label = BackupLabel.at(start);
        String wal = WalFileName.segment(1, startSegment, CLUSTER.segmentSize()).toString();
        try (ObjectWriter w = storage.write("backups/" + label + "/data/PG_VERSION")) {
            w.stream().write("15\n".getBytes());
            w.commit();
        }
        if (status != null) {
            new BackupCatalog(storage).write(new BackupManifest(1, label.value(), status, null, "1", "15.18", 15,
                    CLUSTER.segmentSize().bytes(), start.toString(), start.plusSeconds(60).toString(), "0/0", "0/0", 1,
                    1, wal, wal, "zstd", 3, 3, false, List.of(), List.of(), List.of(), List.of()));
        }
    }

    private void dump(String db, double daysAgo, boolean verified) throws IOException {
        LocalDateTime taken = LocalDateTime.ofInstant(NOW.minusSeconds((long) (daysAgo * 86400)), ZoneOffset.UTC);
        String key = DumpCatalog.dumpKey(db, taken, "sql");
        try (ObjectWriter w = storage.write(key)) {
            w.stream().write("-- dump".getBytes());
            w.commit();
        }
        if (verified) {
            DumpCatalog catalog = new DumpCatalog(storage);
            catalog.writeManifest(new DumpManifest(1, db, key, taken.toString(), "plain", "none", "x", 7, 7, "marker",
                    "15.18", "15.18", null));
            catalog.setLatest(db, key);
        }
    }

    private static Set<String> names(List<Expirer.Item> items) {
        return items.stream().map(Expirer.Item::name).collect(Collectors.toSet());
    }

    @Test
    void keepsTheRecoveryWindowAndTheBackupBeforeIt() throws IOException {
        backup(20, 2, BackupManifest.COMPLETE);
        backup(10, 10, BackupManifest.COMPLETE);
        backup(5, 20, BackupManifest.COMPLETE);
        backup(1, 30, BackupManifest.COMPLETE);
        Expirer.Plan plan = new Expirer(repository, new RetentionPolicy(7, 0, 7, 0), CLOCK).plan();
        assertEquals(Set.of(BackupLabel.at(NOW.minus(Duration.ofDays(20))).value()), names(plan.backups()),
                "the 10-day-old backup stays: without it the first three days of the window can't be recovered");
        assertEquals("00000001000000000000000A", plan.walKeptFrom().orElseThrow());
        assertEquals(9, plan.wal().size(), "segments 1..9, below the oldest kept backup's start");
        assertTrue(plan.wal().stream().allMatch(w -> w.name().segmentNumber(CLUSTER.segmentSize()) < 10));
    }

    @Test
    void removesStreamedSegmentsThatAreArchivedAndKeepsTheOnesBeyondTheArchive() throws IOException {
        backup(1, 30, BackupManifest.COMPLETE);
        byte[] bytes = new byte[CLUSTER.segmentSize().bytes()];
        WalFileName archived = WalFileName.segment(1, 40, CLUSTER.segmentSize()); // the archive's last segment
        WalFileName beyond = WalFileName.segment(1, 41, CLUSTER.segmentSize()); // being streamed: not archived
        WalFileName old = WalFileName.segment(1, 12, CLUSTER.segmentSize());
        repository.stream().store(archived, bytes, bytes.length, Compression.ZSTD, 1);
        repository.stream().store(beyond, bytes, 4096, Compression.ZSTD, 1);
        repository.stream().store(old, bytes, 4096, Compression.ZSTD, 1);
        Expirer.Plan plan = new Expirer(repository, new RetentionPolicy(7, 0, 7, 0), CLOCK).run("test");
        assertEquals(Set.of(archived, old), plan.streamed().stream().map(s -> s.segment()).collect(Collectors.toSet()));
        assertTrue(plan.summary().contains("2 streamed segment(s)"), plan.summary());
        assertEquals(List.of(beyond), repository.stream().list().stream().map(s -> s.segment()).toList());
        assertTrue(repository.wal().find(archived).isPresent(), "the archived copy stays");
    }

    @Test
    void runRemovesExactlyWhatThePlanSaysAndNeverNeededWal() throws IOException {
        backup(20, 2, BackupManifest.COMPLETE);
        backup(10, 10, BackupManifest.COMPLETE);
        backup(1, 30, BackupManifest.COMPLETE);
        Expirer expirer = new Expirer(repository, new RetentionPolicy(7, 0, 7, 0), CLOCK);
        assertTrue(ChangeMarker.read(storage).isEmpty());
        Expirer.Plan plan = expirer.run("test");
        assertEquals(1, plan.backups().size());
        String noted = ChangeMarker.read(storage).orElseThrow(); // for the agent's figures: see RepositoryProbe
        assertTrue(noted.contains("\"change\" : \"expiry\""), noted);
        List<BackupCatalog.Entry> left = new BackupCatalog(storage).list();
        assertEquals(2, left.size(), "the 10-day-old backup anchors the window");
        for (int segno = 1; segno <= 40; segno++) {
            WalFileName name = WalFileName.segment(1, segno, CLUSTER.segmentSize());
            assertEquals(segno >= 10, repository.wal().find(name).isPresent(), name.toString());
        }
        assertTrue(repository.wal().find(WalFileName.parse("00000002.history")).isPresent(), "history is kept");
        assertTrue(expirer.plan().isEmpty(), "a second run has nothing to do");
        expirer.run("test");
        assertEquals(noted, ChangeMarker.read(storage).orElseThrow(), "a run that removed nothing changed nothing");
    }

    @Test
    void aNewerBackupOnAForkedTimelineKeepsTheWalItNeeds() throws IOException {
        // B1 on timeline 1 from segment 30; then recovery to segment 15 forked timeline 2, where B2
        // started at segment 18: B2 is newer but needs WAL below B1's start
        for (int segno = 15; segno <= 25; segno++) {
            WalFileName name = WalFileName.segment(2, segno, CLUSTER.segmentSize());
            byte[] bytes = SyntheticWal.segment(CLUSTER, name, segno);
            repository.wal().store(name, Checksums.sha256(new ByteArrayInputStream(bytes)), Compression.NONE, 0,
                    new ByteArrayInputStream(bytes));
        }
        backup(3, 30, BackupManifest.COMPLETE);
        backupOnTimeline(1, 2, 18);
        Expirer.Plan plan = new Expirer(repository, new RetentionPolicy(7, 0, 7, 0), CLOCK).plan();
        assertEquals("000000020000000000000012", plan.walKeptFrom().orElseThrow(), "segment 18 (0x12) of timeline 2");
        assertTrue(plan.wal().stream().allMatch(w -> w.name().segmentNumber(CLUSTER.segmentSize()) < 18));
    }

    private void backupOnTimeline(double daysAgo, int timeline, long startSegment) throws IOException {
        Instant start = NOW.minusSeconds((long) (daysAgo * 86400));
        BackupLabel label = BackupLabel.at(start);
        String wal = WalFileName.segment(timeline, startSegment, CLUSTER.segmentSize()).toString();
        new BackupCatalog(storage).write(new BackupManifest(1, label.value(), BackupManifest.COMPLETE, null, "1",
                "15.18", 15, CLUSTER.segmentSize().bytes(), start.toString(), start.plusSeconds(60).toString(), "0/0",
                "0/0", timeline, timeline, wal, wal, "zstd", 3, 3, false, List.of(), List.of(), List.of(), List.of()));
    }

    @Test
    void withoutACompleteBackupNoWalIsRemoved() throws IOException {
        backup(3, 20, BackupManifest.INCOMPLETE);
        backup(0.1, 30, null); // interrupted, and recent: could still be running
        Expirer.Plan plan = new Expirer(repository, new RetentionPolicy(1, 1, 1, 1), CLOCK).plan();
        assertTrue(plan.wal().isEmpty());
        assertTrue(plan.walKeptFrom().isEmpty());
        assertEquals(Set.of(BackupLabel.at(NOW.minus(Duration.ofDays(3))).value()), names(plan.backups()),
                "an incomplete backup older than a day goes; the recent interrupted one stays");
    }

    /** A complete incremental backup on {@code parent}. */
    private String incremental(double daysAgo, long startSegment, String parent) throws IOException {
        Instant start = NOW.minusSeconds((long) (daysAgo * 86400));
        BackupLabel label = BackupLabel.at(start);
        String wal = WalFileName.segment(1, startSegment, CLUSTER.segmentSize()).toString();
        new BackupCatalog(storage).write(new BackupManifest(BackupManifest.FORMAT, label.value(),
                BackupManifest.COMPLETE, null, "1", "15.18", 15, CLUSTER.segmentSize().bytes(), start.toString(),
                start.plusSeconds(60).toString(), "0/0", "0/0", 1, 1, wal, wal, "zstd", 3, 3, false, List.of(),
                List.of(), List.of(), List.of(), BackupManifest.INCREMENTAL, parent));
        return label.value();
    }

    @Test
    void aKeptIncrementalKeepsItsWholeChainAndAChainGoesWhole() throws IOException {
        backup(10, 2, BackupManifest.COMPLETE);
        String full = BackupLabel.at(NOW.minus(Duration.ofDays(10))).value();
        String first = incremental(9, 10, full);
        String second = incremental(8, 20, first);
        Expirer.Plan plan = new Expirer(repository, new RetentionPolicy(0, 1, 0, 0), CLOCK).plan();
        assertEquals(Set.of(), names(plan.backups()), "the newest incremental needs both before it");
        assertEquals("000000010000000000000002", plan.walKeptFrom().orElseThrow());

        backup(1, 30, BackupManifest.COMPLETE);
        plan = new Expirer(repository, new RetentionPolicy(0, 1, 0, 0), CLOCK).plan();
        assertEquals(Set.of(full, first, second), names(plan.backups()));
        new Expirer(repository, new RetentionPolicy(0, 1, 0, 0), CLOCK).run("test");
        assertEquals(1, new BackupCatalog(storage).list().size());
    }

    @Test
    void anIncrementalWhoseParentIsGoneIsUnusableAndGoesAfterADay() throws IOException {
        backup(1, 30, BackupManifest.COMPLETE);
        String orphan = incremental(2, 20, "20261101T000000Z");
        BackupCatalog.Entry entry = new BackupCatalog(storage).list().stream()
                .filter(e -> e.label().value().equals(orphan)).findFirst().orElseThrow();
        assertEquals(false, entry.usable());
        assertEquals("its parent backup 20261101T000000Z is missing", entry.problem().orElseThrow());
        Expirer.Plan plan = new Expirer(repository, new RetentionPolicy(0, 5, 0, 0), CLOCK).plan();
        assertEquals(Set.of(orphan), names(plan.backups()));
        assertEquals("its parent backup 20261101T000000Z is missing, older than a day",
                plan.backups().get(0).reason());
    }

    @Test
    void countLimitKeepsTheNewest() throws IOException {
        backup(3, 2, BackupManifest.COMPLETE);
        backup(2, 10, BackupManifest.COMPLETE);
        backup(1, 20, BackupManifest.COMPLETE);
        Expirer.Plan plan = new Expirer(repository, new RetentionPolicy(0, 2, 0, 0), CLOCK).plan();
        assertEquals(Set.of(BackupLabel.at(NOW.minus(Duration.ofDays(3))).value()), names(plan.backups()));
        assertEquals("00000001000000000000000A", plan.walKeptFrom().orElseThrow());
    }

    @Test
    void dumpsOlderThanTheLimitGoButTheNewestOfEachDatabaseStays() throws IOException {
        dump("app", 9, true);
        dump("app", 8, true);
        dump("app", 2, true);
        dump("app", 3, false); // failed, older than a day
        dump("app", 0.1, false); // failed, recent
        dump("reports", 30, true); // the only dump of its database
        Expirer.Plan plan = new Expirer(repository, new RetentionPolicy(7, 0, 7, 0), CLOCK).plan();
        Set<String> removed = names(plan.dumps());
        assertEquals(3, removed.size(), removed.toString());
        // latest_backup pointing at an older dump (named in another time zone, say) keeps it too
        DumpCatalog pointed = new DumpCatalog(storage);
        String nineDaysOld = pointed.list(Optional.of("app")).get(0).key();
        pointed.setLatest("app", nineDaysOld);
        assertTrue(names(new Expirer(repository, new RetentionPolicy(7, 0, 7, 0), CLOCK).plan().dumps())
                .stream().noneMatch(nineDaysOld::equals));
        pointed.setLatest("app", pointed.list(Optional.of("app")).stream().filter(DumpCatalog.Entry::verified)
                .reduce((a, b) -> b).orElseThrow().key());
        assertTrue(removed.stream().noneMatch(k -> k.startsWith("dumps/reports/")), "the newest dump of a database stays");
        new Expirer(repository, new RetentionPolicy(7, 0, 7, 0), CLOCK).run("test");
        DumpCatalog catalog = new DumpCatalog(storage);
        assertEquals(3, catalog.list(Optional.empty()).size());
        assertEquals(catalog.list(Optional.of("app")).stream().filter(DumpCatalog.Entry::verified)
                .reduce((a, b) -> b).orElseThrow().key(), catalog.latest("app").orElseThrow(), "latest survives");
    }

    @Test
    void refusesToRunWhileABackupHoldsTheLock() throws IOException {
        try (StorageLock held = storage.lock("backup", "walden agent (pid 7 on db1)")) {
            IOException e = assertThrows(IOException.class,
                    () -> new Expirer(repository, new RetentionPolicy(7, 0, 7, 0), CLOCK).run("test"));
            assertEquals("a base backup is running (walden agent (pid 7 on db1)); expire again when it is done",
                    e.getMessage());
            assertTrue(held != null);
        }
    }
}
