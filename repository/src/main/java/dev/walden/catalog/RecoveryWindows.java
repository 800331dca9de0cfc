package dev.walden.catalog;

import dev.walden.repo.Repository;
import dev.walden.wal.Lsn;
import dev.walden.wal.WalSegmentSize;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The stretches of time {@code walden recover --target-time} can reach, split wherever WAL is
 * missing. For a target time, recover takes the newest usable backup that ended at or before it
 * ({@link RecoveryPlan}) and replays its {@link BackupReach}: from the backup's end up to when the
 * last segment before the first gap on its timeline path was archived. So each backup covers
 * from its end until the next backup ends, as far as its own WAL goes; where its WAL stops before
 * the next backup's end, a window ends, and the next one begins at that backup's end. Timelines
 * are followed to the newest one, recover's default.
 */
final class RecoveryWindows {
    private RecoveryWindows() {
    }

    /**
     * The windows, oldest first.
     *
     * @param usable the usable backups in the order {@link RecoveryPlan} chooses among them (the
     *     catalog's, oldest first)
     */
    static List<RepositoryReport.Window> of(Repository repository, List<BackupManifest> usable, WalCatalog catalog)
            throws IOException {
        WalSegmentSize size = repository.cluster().segmentSize();
        TimelinePath.Histories histories = new TimelinePath.Histories(repository.wal());
        List<Optional<BackupReach>> reaches = new ArrayList<>();
        for (BackupManifest backup : usable) {
            TimelinePath path = TimelinePath.resolve(histories, backup.startTimeline(), Lsn.parse(backup.stopLsn()),
                    Optional.empty(), size);
            reaches.add(Optional.of(BackupReach.of(backup, path, catalog, size)).filter(BackupReach::consistent));
        }
        List<RepositoryReport.Window> windows = new ArrayList<>();
        BackupManifest opened = null; // the backup whose end opened the current window
        for (int i = 0; i < usable.size(); i++) {
            if (reaches.get(i).isEmpty()) {
                continue; // can't become consistent: covers nothing, and ended any window before it
            }
            BackupReach reach = reaches.get(i).get();
            if (opened == null) {
                opened = reach.backup();
            }
            WalCatalog.Archived last = reach.last().orElseThrow();
            Optional<Instant> nextEnd = i + 1 < usable.size()
                    ? Optional.of(Instant.parse(usable.get(i + 1).stopTime())) : Optional.empty();
            if (nextEnd.isPresent() && !last.archived().isBefore(nextEnd.get())) {
                if (reaches.get(i + 1).isPresent()) {
                    continue; // the next backup takes over where this one still reaches: one window
                }
                // recover takes the next backup from its end on, and that one can't become consistent
                String wal = reach.at(reach.firstArchivedFrom(nextEnd.get()).orElseThrow()).orElseThrow()
                        .wal().name().toString();
                windows.add(new RepositoryReport.Window(opened.stopTime(), opened.label(), nextEnd.get().toString(),
                        wal));
            } else {
                windows.add(new RepositoryReport.Window(opened.stopTime(), opened.label(), last.archived().toString(),
                        last.wal().name().toString()));
            }
            opened = null;
        }
        return windows;
    }
}
