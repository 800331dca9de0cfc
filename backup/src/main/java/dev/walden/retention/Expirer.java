package dev.walden.retention;

import dev.walden.catalog.BackupCatalog;
import dev.walden.catalog.BackupLabel;
import dev.walden.catalog.BackupManifest;
import dev.walden.catalog.ChangeMarker;
import dev.walden.catalog.DumpCatalog;
import dev.walden.catalog.WalCatalog;
import dev.walden.repo.Repository;
import dev.walden.repo.StoredWal;
import dev.walden.repo.StreamedWal;
import dev.walden.storage.StorageLock;
import dev.walden.storage.StorageLockedException;
import dev.walden.wal.WalFileName;
import dev.walden.wal.WalSegmentSize;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Applies a {@link RetentionPolicy}. WAL goes only below the start of the oldest base backup
 * that is kept: a kept backup can always become consistent and roll forward to the newest
 * archived WAL. Without any complete backup, no WAL is removed at all.
 */
public final class Expirer {
    private static final System.Logger LOG = System.getLogger(Expirer.class.getName());
    /** Leftovers of failed or interrupted backups and dumps are removed once this old. */
    static final Duration LEFTOVER_AGE = Duration.ofDays(1);

    private final Repository repository;
    private final RetentionPolicy policy;
    private final Clock clock;

    /**
     * What an expiry removes, and why.
     *
     * @param streamed streamed segments ({@link StreamedWal}) that are archived (the archived copy
     *     serves) or older than every kept backup's WAL
     */
    public record Plan(List<Item> backups, List<Item> dumps, List<StoredWal> wal, List<StreamedWal> streamed,
                       Optional<String> walKeptFrom, long bytes) {
        public boolean isEmpty() {
            return backups.isEmpty() && dumps.isEmpty() && wal.isEmpty() && streamed.isEmpty();
        }

        /** One line for logs and the audit trail: {@code 1 backup(s), 2 dump(s), 40 WAL file(s), 1.2 GiB}. */
        public String summary() {
            return backups.size() + " backup(s), " + dumps.size() + " dump(s), " + wal.size() + " WAL file(s), "
                    + (streamed.isEmpty() ? "" : streamed.size() + " streamed segment(s), ")
                    + dev.walden.console.Sizes.bytes(bytes);
        }
    }

    /** One backup or dump to remove: its name, the reason, and its size. */
    public record Item(String name, String reason, long bytes) {
    }

    public Expirer(Repository repository, RetentionPolicy policy, Clock clock) {
        this.repository = repository;
        this.policy = policy;
        this.clock = clock;
    }

    public Plan plan() throws IOException {
        Instant now = clock.instant();
        List<Item> backupItems = new ArrayList<>();
        List<BackupCatalog.Entry> entries = new BackupCatalog(repository.storage()).list();
        List<BackupCatalog.Entry> complete = entries.stream().filter(BackupCatalog.Entry::usable).toList();
        List<BackupCatalog.Entry> kept = new ArrayList<>();
        // an incremental needs every backup it builds on: a kept one keeps its whole chain, and a
        // full backup goes only with the last incremental that needs it
        for (BackupCatalog.Entry e : keptBackups(complete, now)) {
            for (BackupCatalog.Entry link : BackupCatalog.chain(entries, e)) {
                if (!kept.contains(link)) {
                    kept.add(link);
                }
            }
        }
        for (BackupCatalog.Entry entry : entries) {
            if (entry.usable()) {
                if (!kept.contains(entry)) {
                    backupItems.add(new Item(entry.label().value(), backupReason(), entry.storedBytes()));
                }
            } else if (entry.label().instant().isBefore(now.minus(LEFTOVER_AGE))) {
                backupItems.add(new Item(entry.label().value(), entry.problem().orElseThrow()
                        + ", older than a day", entry.storedBytes()));
            }
        }

        List<Item> dumpItems = plannedDumps(now);

        List<StoredWal> wal = new ArrayList<>();
        Optional<String> keptFrom = Optional.empty();
        WalSegmentSize size = repository.cluster().segmentSize();
        WalCatalog catalog = WalCatalog.read(repository.storage(), size);
        long cutoff = Long.MIN_VALUE;
        if (!kept.isEmpty()) {
            // The lowest start over every kept backup, not the oldest backup's: a newer backup on
            // a timeline forked from an earlier point starts at a lower segment number.
            BackupManifest lowest = kept.stream().map(e -> e.manifest().orElseThrow())
                    .min(Comparator.comparingLong(m -> WalFileName.parse(m.startWal()).segmentNumber(size)))
                    .orElseThrow();
            cutoff = WalFileName.parse(lowest.startWal()).segmentNumber(size);
            keptFrom = Optional.of(lowest.startWal());
            for (WalCatalog.Archived a : catalog.files()) {
                WalFileName name = a.wal().name();
                // history files are tiny and every later timeline needs its ancestors'
                if (name.kind() != WalFileName.Kind.HISTORY && name.segmentNumber(size) < cutoff) {
                    wal.add(a.wal());
                }
            }
        }
        List<StreamedWal> streamed = new ArrayList<>();
        for (StreamedWal s : repository.stream().objects()) {
            // never the segment being streamed: it is not archived yet, and not older than a kept backup
            if (catalog.contains(s.segment()) || s.segment().segmentNumber(size) < cutoff) {
                streamed.add(s);
            }
        }
        long bytes = backupItems.stream().mapToLong(Item::bytes).sum() + dumpItems.stream().mapToLong(Item::bytes).sum()
                + wal.stream().mapToLong(StoredWal::storedSize).sum()
                + streamed.stream().mapToLong(StreamedWal::storedSize).sum();
        return new Plan(backupItems, dumpItems, wal, streamed, keptFrom, bytes);
    }

    private List<BackupCatalog.Entry> keptBackups(List<BackupCatalog.Entry> complete, Instant now) {
        if (complete.isEmpty()) {
            return List.of();
        }
        List<BackupCatalog.Entry> kept = new ArrayList<>(complete);
        if (policy.backupDays() > 0) {
            Instant windowStart = now.minus(Duration.ofDays(policy.backupDays()));
            BackupCatalog.Entry newestBefore = null;
            for (BackupCatalog.Entry e : complete) {
                if (e.label().instant().isBefore(windowStart)) {
                    newestBefore = e;
                }
            }
            BackupCatalog.Entry anchor = newestBefore;
            kept.removeIf(e -> e.label().instant().isBefore(windowStart) && e != anchor);
        }
        if (policy.backupCount() > 0 && kept.size() > policy.backupCount()) {
            kept = new ArrayList<>(kept.subList(kept.size() - policy.backupCount(), kept.size()));
        }
        BackupCatalog.Entry newest = complete.get(complete.size() - 1);
        if (!kept.contains(newest)) {
            kept.add(newest);
        }
        return kept;
    }

    private String backupReason() {
        List<String> limits = new ArrayList<>();
        if (policy.backupDays() > 0) {
            limits.add(policy.backupDays() + "-day recovery window");
        }
        if (policy.backupCount() > 0) {
            limits.add("count " + policy.backupCount());
        }
        return "outside retention (" + String.join(", ", limits) + ")";
    }

    private List<Item> plannedDumps(Instant now) throws IOException {
        List<Item> items = new ArrayList<>();
        Map<String, List<DumpCatalog.Entry>> byDatabase = new LinkedHashMap<>();
        for (DumpCatalog.Entry e : new DumpCatalog(repository.storage()).list(Optional.empty())) {
            byDatabase.computeIfAbsent(e.database(), d -> new ArrayList<>()).add(e);
        }
        ZoneId zone = clock.getZone();
        LocalDateTime leftoverCutoff = LocalDateTime.ofInstant(now.minus(LEFTOVER_AGE), zone);
        LocalDateTime ageCutoff = LocalDateTime.ofInstant(now.minus(Duration.ofDays(Math.max(policy.dumpDays(), 0))),
                zone);
        DumpCatalog catalog = new DumpCatalog(repository.storage());
        for (List<DumpCatalog.Entry> dumps : byDatabase.values()) {
            List<DumpCatalog.Entry> verified = dumps.stream().filter(DumpCatalog.Entry::verified).toList();
            DumpCatalog.Entry newest = verified.isEmpty() ? null : verified.get(verified.size() - 1);
            Optional<String> latest = catalog.latest(dumps.get(0).database());
            for (int i = 0; i < verified.size(); i++) {
                DumpCatalog.Entry e = verified.get(i);
                if (e == newest || latest.map(e.key()::equals).orElse(false)) {
                    continue; // the newest, and whatever latest_backup points at, always stay
                }
                boolean tooOld = policy.dumpDays() > 0 && e.taken().isBefore(ageCutoff);
                boolean tooMany = policy.dumpCount() > 0 && verified.size() - i > policy.dumpCount();
                if (tooOld || tooMany) {
                    items.add(new Item(e.key(), tooOld ? "older than " + policy.dumpDays() + " days"
                            : "beyond the newest " + policy.dumpCount(), e.storedBytes()));
                }
            }
            for (DumpCatalog.Entry e : dumps) {
                if (!e.verified() && e.taken().isBefore(leftoverCutoff)) {
                    items.add(new Item(e.key(), "never verified, older than a day", e.storedBytes()));
                }
            }
        }
        return items;
    }

    /**
     * Removes what {@link #plan} lists. Holds the backup lock meanwhile, so that a backup being
     * taken (whose files have no manifest yet) is never mistaken for an interrupted one.
     */
    public Plan run(String owner) throws IOException {
        StorageLock lock;
        try {
            lock = repository.storage().lock("backup", owner);
        } catch (StorageLockedException e) {
            throw new IOException("a base backup is running (" + e.holder() + "); expire again when it is done", e);
        }
        try (lock) {
            Plan plan = plan();
            try {
                BackupCatalog backups = new BackupCatalog(repository.storage());
                // newest first: an expiry cut short never leaves an incremental without its parent
                for (Item item : plan.backups().reversed()) {
                    backups.delete(new BackupLabel(item.name()));
                }
                DumpCatalog dumps = new DumpCatalog(repository.storage());
                for (Item item : plan.dumps()) {
                    dumps.delete(item.name());
                }
                repository.storage().deleteObjects(plan.wal().stream().map(StoredWal::key).toList());
                repository.storage().deleteObjects(plan.streamed().stream().map(StreamedWal::key).toList());
            } finally { // a deletion that failed half-way has changed the catalog too
                if (!plan.isEmpty()) {
                    ChangeMarker.tryNote(repository.storage(), "expiry", w -> LOG.log(System.Logger.Level.WARNING, w));
                }
            }
            return plan;
        }
    }
}
