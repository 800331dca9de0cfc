package dev.walden.recovery;

import dev.walden.catalog.BackupCatalog;
import dev.walden.catalog.BackupManifest;
import dev.walden.catalog.BackupReach;
import dev.walden.catalog.TimelinePath;
import dev.walden.catalog.WalCatalog;
import dev.walden.repo.Repository;
import dev.walden.wal.Lsn;
import dev.walden.wal.WalFileName;
import dev.walden.wal.WalSegmentSize;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What a point-in-time recovery needs, worked out before anything is written: the base backup
 * (the newest usable one that ended before the target, unless named), the timelines to follow,
 * and exactly the WAL files to stage. Every reason it can't work is found here and named.
 *
 * @param gap the first WAL file missing on the path when WAL was archived after it: recovery to
 *     the latest point stops before it, and what came after can't be replayed
 */
public record RecoveryPlan(BackupManifest backup, TimelinePath path, List<WalFileName> segments,
                           List<WalFileName> histories, Optional<WalFileName> gap) {

    public static RecoveryPlan make(Repository repository, RecoveryTarget target, Optional<Integer> targetTimeline,
                                    Optional<String> backupLabel) throws IOException {
        WalSegmentSize size = repository.cluster().segmentSize();
        List<BackupManifest> usable = new ArrayList<>();
        for (BackupCatalog.Entry e : new BackupCatalog(repository.storage()).list()) {
            if (backupLabel.isPresent() && e.label().value().equals(backupLabel.get()) && !e.usable()) {
                throw new IOException("backup " + e.label() + " is " + e.problem().orElseThrow()
                        + " and can't be recovered from");
            }
            if (e.usable()) {
                usable.add(e.manifest().orElseThrow());
            }
        }
        if (usable.isEmpty()) {
            throw new IOException("the repository holds no usable base backup; take one with 'walden backup'");
        }
        BackupManifest backup = choose(usable, target, backupLabel);
        TimelinePath path = TimelinePath.resolve(repository.wal(), backup.startTimeline(), Lsn.parse(backup.stopLsn()),
                targetTimeline, size);
        WalCatalog catalog = WalCatalog.read(repository.storage(), size);
        BackupReach reach = BackupReach.of(backup, path, catalog, size);
        if (!reach.consistent()) {
            throw missing(reach, target);
        }
        long mandatory = reach.consistentSegment();
        long end = Long.MAX_VALUE;
        switch (target) {
            case RecoveryTarget.Immediate i -> end = mandatory;
            case RecoveryTarget.AtLsn l -> {
                mandatory = Math.max(mandatory, l.lsn().segmentNumber(size));
                end = mandatory;
            }
            case RecoveryTarget.Time t -> {
                mandatory = lastForTime(t, reach, catalog, size);
                end = mandatory + 1; // usually holds the first commit after the target; later ones are fetched
            }
            default -> {
            }
        }
        if (!reach.reaches(mandatory)) {
            throw missing(reach, target);
        }
        List<WalFileName> segments = new ArrayList<>();
        for (long segno = reach.startSegment(); segno <= end && reach.reaches(segno); segno++) {
            segments.add(reach.at(segno).orElseThrow().wal().name()); // the run ends where the archived WAL does
        }
        List<WalFileName> histories = new ArrayList<>();
        for (TimelinePath.Step step : path.steps()) {
            WalFileName history = WalFileName.history(step.timeline());
            if (catalog.contains(history)) {
                histories.add(history);
            }
        }
        return new RecoveryPlan(backup, path, segments, histories,
                archivedPastTheEnd(reach, catalog, size) ? Optional.of(reach.firstMissing()) : Optional.empty());
    }

    private static BackupManifest choose(List<BackupManifest> usable, RecoveryTarget target,
                                         Optional<String> label) throws IOException {
        if (label.isPresent()) {
            BackupManifest named = usable.stream().filter(m -> m.label().equals(label.get())).findFirst().orElseThrow(
                    () -> new IOException("no backup " + label.get() + " in the repository ('walden list' shows them)"));
            if (!endsBefore(named, target)) {
                // PostgreSQL would stop before the backup is consistent, once everything is restored
                throw new IOException(target.describe() + " is before the end of backup " + named.label()
                        + " (consistent at " + end(named, target) + "); recovery from it can't stop earlier than that");
            }
            return named;
        }
        BackupManifest oldest = usable.get(0);
        BackupManifest chosen = null;
        for (BackupManifest m : usable) {
            if (endsBefore(m, target)) {
                chosen = m;
            }
        }
        if (chosen == null) {
            throw new IOException(target.describe() + " is before the end of the oldest usable backup ("
                    + oldest.label() + ", consistent at " + end(oldest, target) + "); recovery can't go back further "
                    + "than that");
        }
        return chosen;
    }

    /** Whether the backup ended at or before a time or LSN target; any backup will do for the others. */
    private static boolean endsBefore(BackupManifest m, RecoveryTarget target) {
        return switch (target) {
            case RecoveryTarget.Time t -> !Instant.parse(m.stopTime()).isAfter(t.at().toInstant());
            case RecoveryTarget.AtLsn l -> Lsn.parse(m.stopLsn()).compareTo(l.lsn()) <= 0;
            default -> true;
        };
    }

    /** Where the backup ended, as the target is given: a time or an LSN. */
    private static String end(BackupManifest m, RecoveryTarget target) {
        return target instanceof RecoveryTarget.Time ? m.stopTime() : m.stopLsn();
    }

    private static IOException missing(BackupReach reach, RecoveryTarget target) {
        return new IOException("WAL file " + reach.firstMissing() + " is missing from the repository; recovery to "
                + target.describe() + " from backup " + reach.backup().label() + " needs it ('walden list' shows the "
                + "gaps)");
    }

    /**
     * The last segment a recovery to a time surely needs: the first one archived at or after that
     * time. Every earlier one was archived before the target, so recovery must pass through it
     * without finding the stop; this one or a later one holds the first commit after the target
     * (later when archiving lagged a segment switch: the staged restore_command,
     * {@code restore-wal.sh}, hands those to {@code walden fetch}). When everything was archived
     * before the target, the target lies beyond the archive, unless WAL of the path was archived
     * past a gap: then the gap is what stands in the way, and waiting for archiving won't close it.
     */
    private static long lastForTime(RecoveryTarget.Time target, BackupReach reach, WalCatalog catalog,
                                    WalSegmentSize size) throws IOException {
        OptionalLong segno = reach.firstArchivedFrom(target.at().toInstant());
        if (segno.isPresent()) {
            return segno.getAsLong();
        }
        if (archivedPastTheEnd(reach, catalog, size)) {
            throw missing(reach, target);
        }
        WalCatalog.Archived last = reach.last().orElseThrow();
        throw new IOException(target.describe() + " is after the newest archived WAL (" + last.wal().name()
                + ", archived " + last.archived() + "): what happened after that is not in the archive");
    }

    /** Whether WAL of the path was archived after the unbroken run from the backup ends: a gap, not the archive's end. */
    private static boolean archivedPastTheEnd(BackupReach reach, WalCatalog catalog, WalSegmentSize size) {
        for (WalCatalog.Archived a : catalog.files()) {
            WalFileName name = a.wal().name();
            if (name.kind() == WalFileName.Kind.SEGMENT && name.segmentNumber(size) > reach.end()
                    && reach.path().timelineFor(name.segmentNumber(size)) == name.timeline()) {
                return true;
            }
        }
        return false;
    }
}
