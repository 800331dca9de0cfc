package dev.walden.catalog;

import dev.walden.repo.WalArchive;
import dev.walden.wal.Lsn;
import dev.walden.wal.TimelineHistory;
import dev.walden.wal.WalFileName;
import dev.walden.wal.WalSegmentSize;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The timelines a recovery follows, read from the archived history files: from the backup's
 * timeline to the target timeline, each with the segment where it begins. A timeline descends
 * from the backup only if it branched off the backup's timeline after the backup ended: one that
 * branched off earlier doesn't hold the backup in its past (PostgreSQL refuses it, "requested
 * timeline N is not a child of this server's history"). For a segment number
 * it names the timeline whose copy PostgreSQL replays, the newest that had begun by then, just
 * as recovery tries each segment under the newest timeline of its history first.
 */
public final class TimelinePath {
    /** One timeline of the path and the first segment that belongs to it. */
    public record Step(int timeline, long firstSegment) {
    }

    private final List<Step> steps;

    private TimelinePath(List<Step> steps) {
        this.steps = steps;
    }

    public List<Step> steps() {
        return steps;
    }

    public int target() {
        return steps.get(steps.size() - 1).timeline();
    }

    /**
     * The path to {@code target}, or to the newest archived timeline descending from
     * {@code backupTimeline} when {@code target} is empty ("latest", PostgreSQL's default).
     *
     * @param backupEnd where the backup ended (its stop LSN): a timeline that branched off the
     *     backup's before that doesn't descend from the backup
     * @throws IOException naming the timeline when it isn't in the archive or doesn't descend
     *     from the backup's
     */
    public static TimelinePath resolve(WalArchive wal, int backupTimeline, Lsn backupEnd, Optional<Integer> target,
                                       WalSegmentSize size) throws IOException {
        return resolve(new Histories(wal), backupTimeline, backupEnd, target, size);
    }

    /** Like {@link #resolve(WalArchive, int, Lsn, Optional, WalSegmentSize)}, reading each history once. */
    static TimelinePath resolve(Histories histories, int backupTimeline, Lsn backupEnd, Optional<Integer> target,
                                WalSegmentSize size) throws IOException {
        if (target.isEmpty()) {
            // PostgreSQL probes N+1.history until one is missing; the newest that descends wins
            TimelinePath best = new TimelinePath(List.of(new Step(backupTimeline, 0)));
            for (int tli = backupTimeline + 1; ; tli++) {
                Optional<TimelineHistory> history = histories.of(tli);
                if (history.isEmpty()) {
                    break;
                }
                Optional<TimelinePath> path = from(history.get(), tli, backupTimeline, backupEnd, size);
                if (path.isPresent()) {
                    best = path.get();
                }
            }
            return best;
        }
        int tli = target.get();
        if (tli == backupTimeline) {
            return new TimelinePath(List.of(new Step(backupTimeline, 0)));
        }
        if (tli < backupTimeline) {
            throw new IOException("timeline " + tli + " is older than the backup's timeline " + backupTimeline);
        }
        TimelineHistory history = histories.of(tli).orElseThrow(() -> new IOException("timeline " + tli
                + " is not in the archive (no " + WalFileName.history(tli) + ")"));
        return from(history, tli, backupTimeline, backupEnd, size).orElseThrow(() -> new IOException("timeline "
                + tli + " does not descend from the backup's timeline " + backupTimeline + " (its history: "
                + describe(history) + "; the backup ended at " + backupEnd + ")"));
    }

    private static Optional<TimelinePath> from(TimelineHistory history, int tli, int backupTimeline, Lsn backupEnd,
                                               WalSegmentSize size) {
        List<Step> steps = new ArrayList<>();
        long begin = 0;
        boolean found = false;
        for (TimelineHistory.Entry entry : history.entries()) {
            if (entry.timeline() == backupTimeline) {
                if (backupEnd.compareTo(entry.switchPoint()) > 0) {
                    return Optional.empty(); // branched off before the backup ended
                }
                found = true;
            }
            if (found) {
                steps.add(new Step(entry.timeline(), begin));
            }
            begin = entry.switchPoint().segmentNumber(size);
        }
        if (!found) {
            return Optional.empty();
        }
        steps.add(new Step(tli, begin));
        return Optional.of(new TimelinePath(steps));
    }

    /** The timeline whose copy of segment {@code segno} recovery replays. */
    public int timelineFor(long segno) {
        int tli = steps.get(0).timeline();
        for (Step step : steps) {
            if (step.firstSegment() <= segno) {
                tli = step.timeline();
            }
        }
        return tli;
    }

    /** The segment holding {@code lsn} on this path. */
    public WalFileName segmentOf(Lsn lsn, WalSegmentSize size) {
        long segno = lsn.segmentNumber(size);
        return WalFileName.segment(timelineFor(segno), segno, size);
    }

    /** The archived history files, each read once: for resolving the paths of many backups. */
    static final class Histories {
        private final WalArchive wal;
        private final Map<Integer, Optional<TimelineHistory>> read = new HashMap<>();

        Histories(WalArchive wal) {
            this.wal = wal;
        }

        Optional<TimelineHistory> of(int tli) throws IOException {
            Optional<TimelineHistory> history = read.get(tli);
            if (history == null) {
                history = history(wal, tli);
                read.put(tli, history);
            }
            return history;
        }

        private static Optional<TimelineHistory> history(WalArchive wal, int tli) throws IOException {
            var stored = wal.find(WalFileName.history(tli));
            if (stored.isEmpty()) {
                return Optional.empty();
            }
            try (InputStream in = wal.open(stored.get())) {
                return Optional.of(TimelineHistory.parse(new String(in.readAllBytes(),
                        StandardCharsets.ISO_8859_1)));
            }
        }
    }

    private static String describe(TimelineHistory history) {
        List<String> parts = new ArrayList<>();
        for (TimelineHistory.Entry e : history.entries()) {
            parts.add(e.timeline() + " until " + e.switchPoint());
        }
        return String.join(", ", parts);
    }
}
