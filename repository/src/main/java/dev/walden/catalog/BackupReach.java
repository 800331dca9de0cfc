package dev.walden.catalog;

import dev.walden.wal.WalFileName;
import dev.walden.wal.WalSegmentSize;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * How far a recovery from one base backup can go: the run of segments it replays, from the
 * backup's start along a timeline path (each segment under the timeline recovery takes it from)
 * up to the first segment the repository doesn't hold. {@code walden recover}
 * ({@link RecoveryPlan}) and the recoverable windows of {@code walden list} and {@code walden verify}
 * ({@link RecoveryWindows}) both walk WAL here, so what they say can be reached is the same.
 *
 * @param run the archived segments, consecutive from {@code startSegment}
 */
public record BackupReach(BackupManifest backup, TimelinePath path, long startSegment, long consistentSegment,
                          List<WalCatalog.Archived> run, WalSegmentSize size) {

    public BackupReach {
        run = List.copyOf(run);
    }

    /** Walks the repository's WAL from the backup's start segment along {@code path}. */
    public static BackupReach of(BackupManifest backup, TimelinePath path, WalCatalog catalog, WalSegmentSize size) {
        long start = WalFileName.parse(backup.startWal()).segmentNumber(size);
        long consistent = WalFileName.parse(backup.stopWal()).segmentNumber(size);
        List<WalCatalog.Archived> run = new ArrayList<>();
        for (long segno = start; ; segno++) {
            Optional<WalCatalog.Archived> a = catalog.find(WalFileName.segment(path.timelineFor(segno), segno, size));
            if (a.isEmpty()) {
                break;
            }
            run.add(a.get());
        }
        return new BackupReach(backup, path, start, consistent, run, size);
    }

    /** The segment number after the last one of the run: the first one recovery would not find. */
    public long end() {
        return startSegment + run.size();
    }

    /** Whether the run reaches segment {@code segno}. */
    public boolean reaches(long segno) {
        return segno < end();
    }

    /** Whether recovery from the backup can become consistent: the run reaches the backup's stop segment. */
    public boolean consistent() {
        return reaches(consistentSegment);
    }

    /** The archived segment {@code segno} of the run, empty past its end. */
    public Optional<WalCatalog.Archived> at(long segno) {
        return segno >= startSegment && segno < end() ? Optional.of(run.get((int) (segno - startSegment)))
                : Optional.empty();
    }

    /** The last segment of the run, empty when not even the start segment is archived. */
    public Optional<WalCatalog.Archived> last() {
        return run.isEmpty() ? Optional.empty() : Optional.of(run.get(run.size() - 1));
    }

    /**
     * The first segment from the consistent one on that was archived at or after {@code at}: the
     * one a recovery to that time must reach. Empty when the whole run was archived before it.
     */
    public OptionalLong firstArchivedFrom(Instant at) {
        for (long segno = consistentSegment; reaches(segno); segno++) {
            // S3 keeps modification times to the second: "archived at :37" may mean :37.9
            if (!run.get((int) (segno - startSegment)).archived().plusSeconds(1).isBefore(at)) {
                return OptionalLong.of(segno);
            }
        }
        return OptionalLong.empty();
    }

    /** The first segment the run lacks, named under the timeline recovery would take it from. */
    public WalFileName firstMissing() {
        return WalFileName.segment(path.timelineFor(end()), end(), size);
    }
}
