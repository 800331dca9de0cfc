package dev.walden.recovery;

import dev.walden.catalog.BackupCatalog;
import dev.walden.catalog.BackupManifest;
import dev.walden.catalog.WalCatalog;
import dev.walden.repo.Repository;
import dev.walden.wal.Lsn;
import dev.walden.wal.WalFileName;
import dev.walden.wal.WalSegmentSize;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What a point-in-time recovery needs, worked out before anything is written: the base backup
 * (the newest usable one that ended before the target, unless named), the timelines to follow,
 * and exactly the WAL files to stage. Every reason it can't work is found here and named.
 */
public record RecoveryPlan(BackupManifest backup, TimelinePath path, List<WalFileName> segments,
                           List<WalFileName> histories) {

    public static RecoveryPlan make(Repository repository, RecoveryTarget target, Optional<Integer> targetTimeline,
                                    Optional<String> backupLabel) throws IOException {
        WalSegmentSize size = repository.cluster().segmentSize();
        List<BackupManifest> usable = new ArrayList<>();
        for (BackupCatalog.Entry e : new BackupCatalog(repository.storage()).list()) {
            if (backupLabel.isPresent() && e.label().value().equals(backupLabel.get()) && !e.usable()) {
                throw new IOException("backup " + e.label() + " is " + e.status()
                        + e.manifest().map(m -> m.statusDetail() == null ? "" : " (" + m.statusDetail() + ")").orElse("")
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
        TimelinePath path = TimelinePath.resolve(repository.wal(), backup.startTimeline(), targetTimeline, size);
        WalCatalog catalog = WalCatalog.read(repository.storage(), size);
        Map<String, WalCatalog.Archived> archived = new TreeMap<>();
        for (WalCatalog.Archived a : catalog.files()) {
            archived.put(a.wal().name().toString(), a);
        }

        long start = WalFileName.parse(backup.startWal()).segmentNumber(size);
        long consistent = WalFileName.parse(backup.stopWal()).segmentNumber(size);
        long mandatory = consistent;
        long end = Long.MAX_VALUE;
        switch (target) {
            case RecoveryTarget.Immediate i -> end = consistent;
            case RecoveryTarget.AtLsn l -> {
                mandatory = Math.max(consistent, l.lsn().segmentNumber(size));
                end = mandatory;
            }
            case RecoveryTarget.Time t -> {
                mandatory = lastForTime(t, start, consistent, path, archived, size);
                end = mandatory + 1; // usually holds the first commit after the target; later ones are fetched
            }
            default -> {
            }
        }
        List<WalFileName> segments = new ArrayList<>();
        for (long segno = start; segno <= end; segno++) {
            WalFileName name = WalFileName.segment(path.timelineFor(segno), segno, size);
            if (!archived.containsKey(name.toString())) {
                if (segno <= mandatory) {
                    throw new IOException("WAL file " + name + " is missing from the repository; recovery to "
                            + target.describe() + " from backup " + backup.label() + " needs it ('walden list' shows the "
                            + "gaps)");
                }
                break; // the end of the archived WAL on this path
            }
            segments.add(name);
        }
        List<WalFileName> histories = new ArrayList<>();
        for (TimelinePath.Step step : path.steps()) {
            WalFileName history = WalFileName.history(step.timeline());
            if (archived.containsKey(history.toString())) {
                histories.add(history);
            }
        }
        return new RecoveryPlan(backup, path, segments, histories);
    }

    private static BackupManifest choose(List<BackupManifest> usable, RecoveryTarget target,
                                         Optional<String> label) throws IOException {
        if (label.isPresent()) {
            return usable.stream().filter(m -> m.label().equals(label.get())).findFirst().orElseThrow(
                    () -> new IOException("no backup " + label.get() + " in the repository ('walden list' shows them)"));
        }
        BackupManifest oldest = usable.get(0);
        BackupManifest chosen = null;
        for (BackupManifest m : usable) {
            boolean before = switch (target) {
                case RecoveryTarget.Time t -> !Instant.parse(m.stopTime()).isAfter(t.at().toInstant());
                case RecoveryTarget.AtLsn l -> Lsn.parse(m.stopLsn()).compareTo(l.lsn()) <= 0;
                default -> true;
            };
            if (before) {
                chosen = m;
            }
        }
        if (chosen == null) {
            String reached = target instanceof RecoveryTarget.Time ? oldest.stopTime() : oldest.stopLsn();
            throw new IOException(target.describe() + " is before the end of the oldest usable backup ("
                    + oldest.label() + ", consistent at " + reached + "); recovery can't go back further than that");
        }
        return chosen;
    }

    /**
     * The last segment a recovery to a time surely needs: the first one archived at or after that
     * time. Every earlier one was archived before the target, so recovery must pass through it
     * without finding the stop; this one or a later one holds the first commit after the target
     * (later when archiving lagged a segment switch: the restore script fetches those). When
     * everything was archived before the target, the target lies beyond the archive.
     */
    private static long lastForTime(RecoveryTarget.Time target, long start, long consistent, TimelinePath path,
                                    Map<String, WalCatalog.Archived> archived, WalSegmentSize size)
            throws IOException {
        Instant at = target.at().toInstant();
        WalCatalog.Archived last = null;
        for (long segno = start; ; segno++) {
            WalCatalog.Archived a = archived.get(WalFileName.segment(path.timelineFor(segno), segno, size).toString());
            if (a == null) {
                break;
            }
            last = a;
            // S3 keeps modification times to the second: "archived at :37" may mean :37.9
            if (segno >= consistent && !a.archived().plusSeconds(1).isBefore(at)) {
                return segno;
            }
        }
        throw new IOException(target.describe() + " is after the newest archived WAL"
                + (last == null ? "" : " (" + last.wal().name() + ", archived " + last.archived() + ")")
                + ": what happened after that is not in the archive");
    }
}
