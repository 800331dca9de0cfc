package dev.walden.catalog;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.walden.repo.Repository;
import dev.walden.repo.StreamedWal;
import dev.walden.wal.WalFileName;
import dev.walden.wal.WalSegmentSize;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What a repository can restore, at a glance: base backups, dumps per database, WAL per
 * timeline with its gaps, and the recoverable windows. The model behind {@code walden list}
 * and {@code walden list --json}.
 *
 * @param recoverable the newest of {@code windows} (the one that ends at the newest moment
 *     recover can reach), kept for readers written before WAL gaps split the window
 * @param windows every stretch of time recover can reach, oldest first ({@link RecoveryWindows})
 * @param lastDrill the newest restore drill ({@link DrillLog}); null when none ran
 * @param lastSuccessfulDrill the newest drill that passed: the newest proof that the repository restores
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RepositoryReport(
        @JsonProperty("repository") String repository,
        @JsonProperty("system_identifier") String systemIdentifier,
        @JsonProperty("pg_major") int pgMajor,
        @JsonProperty("encryption") String encryption,
        @JsonProperty("backups") List<Backup> backups,
        @JsonProperty("dumps") List<Dump> dumps,
        @JsonProperty("wal") Wal wal,
        @JsonProperty("recoverable") Window recoverable,
        @JsonProperty("windows") List<Window> windows,
        @JsonProperty("last_drill") DrillLog.Drill lastDrill,
        @JsonProperty("last_successful_drill") DrillLog.Drill lastSuccessfulDrill) {

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Backup(@JsonProperty("label") String label, @JsonProperty("status") String status,
                         @JsonProperty("status_detail") String statusDetail,
                         @JsonProperty("usable") boolean usable,
                         @JsonProperty("start_time") String startTime, @JsonProperty("stop_time") String stopTime,
                         @JsonProperty("start_lsn") String startLsn, @JsonProperty("stop_lsn") String stopLsn,
                         @JsonProperty("timeline") Integer timeline,
                         @JsonProperty("original_bytes") Long originalBytes,
                         @JsonProperty("stored_bytes") long storedBytes,
                         @JsonProperty("duration_seconds") Long durationSeconds,
                         @JsonProperty("checksum_failures") Integer checksumFailures,
                         @JsonProperty("type") String type, @JsonProperty("parent") String parent,
                         @JsonProperty("chain_bytes") long chainBytes) {
    }

    public record Dump(@JsonProperty("database") String database, @JsonProperty("key") String key,
                       @JsonProperty("time") String time, @JsonProperty("stored_bytes") long storedBytes,
                       @JsonProperty("original_bytes") Long originalBytes, @JsonProperty("verified") boolean verified,
                       @JsonProperty("latest") boolean latest,
                       @JsonProperty("duration_seconds") Double durationSeconds) {
    }

    public record Wal(@JsonProperty("files") int files, @JsonProperty("stored_bytes") long storedBytes,
                      @JsonProperty("ranges") List<WalCatalog.Range> ranges,
                      @JsonProperty("gaps") List<WalCatalog.Gap> gaps) {
    }

    /**
     * A stretch of time {@code walden recover} can reach without a break: from the end of the
     * backup {@code fromBackup} to {@code latest}, when the last WAL file of the unbroken run
     * ({@code latestWal}) was archived: the last transaction in it happened at or before that
     * moment.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Window(@JsonProperty("earliest") String earliest, @JsonProperty("from_backup") String fromBackup,
                         @JsonProperty("latest") String latest, @JsonProperty("latest_wal") String latestWal,
                         @JsonProperty("streamed_to") String streamedTo,
                         @JsonProperty("streamed_age_seconds") Long streamedAgeSeconds) {
        /** A window of archived WAL only. */
        public Window(String earliest, String fromBackup, String latest, String latestWal) {
            this(earliest, fromBackup, latest, latestWal, null, null);
        }

        /**
         * This window continued by streamed WAL ({@link dev.walden.repo.StreamedWal}) that
         * recover --latest replays after the archived: it ends when the last of it was stored.
         */
        Window streamedTo(StreamedWal last, WalSegmentSize size, Instant now) {
            return new Window(earliest, fromBackup, last.stored().toString(), last.segment().toString(),
                    last.end(size).toString(), Math.max(0, Duration.between(last.stored(), now).toSeconds()));
        }
    }

    public static RepositoryReport of(Repository repository) throws IOException {
        WalSegmentSize size = repository.cluster().segmentSize();
        List<Backup> backups = new ArrayList<>();
        List<BackupCatalog.Entry> entries = new BackupCatalog(repository.storage()).list();
        for (BackupCatalog.Entry e : entries) {
            Optional<BackupManifest> m = e.manifest();
            String detail = e.chainProblem() != null ? e.chainProblem() : m.map(BackupManifest::statusDetail).orElse(null);
            backups.add(new Backup(e.label().value(), e.status(), detail,
                    e.usable(), m.map(BackupManifest::startTime).orElse(e.label().instant().toString()),
                    m.map(BackupManifest::stopTime).orElse(null), m.map(BackupManifest::startLsn).orElse(null),
                    m.map(BackupManifest::stopLsn).orElse(null),
                    m.filter(BackupManifest::isComplete).map(BackupManifest::stopTimeline).orElse(null),
                    m.map(BackupManifest::originalBytes).orElse(null), e.storedBytes(),
                    m.filter(x -> x.stopTime() != null).map(x -> Duration.between(Instant.parse(x.startTime()),
                            Instant.parse(x.stopTime())).toSeconds()).orElse(null),
                    m.map(x -> x.checksumFailures() == null ? 0 : x.checksumFailures().size()).orElse(null),
                    m.map(BackupManifest::backupType).orElse(null), m.map(BackupManifest::parent).orElse(null),
                    e.chainBytes()));
        }
        DumpCatalog dumpCatalog = new DumpCatalog(repository.storage());
        List<Dump> dumps = new ArrayList<>();
        for (DumpCatalog.Entry d : dumpCatalog.list(Optional.empty())) {
            boolean latest = dumpCatalog.latest(d.database()).map(d.key()::equals).orElse(false);
            dumps.add(new Dump(d.database(), d.key(), d.manifest().map(x -> x.created()).orElse(d.taken().toString()),
                    d.storedBytes(), d.manifest().map(x -> x.originalBytes()).orElse(null), d.verified(), latest,
                    d.manifest().map(DumpManifest::durationSeconds).orElse(null)));
        }
        WalCatalog wal = WalCatalog.read(repository.storage(), size);
        Wal walReport = new Wal(wal.files().size(), wal.files().stream().mapToLong(a -> a.wal().storedSize()).sum(),
                wal.ranges(), wal.gaps());
        List<Window> windows = RecoveryWindows.of(repository,
                entries.stream().filter(BackupCatalog.Entry::usable).map(e -> e.manifest().orElseThrow()).toList(), wal);
        if (!windows.isEmpty()) {
            // recover --latest replays the streamed WAL that continues the newest window's archived WAL
            RepositoryReport.Window newest = windows.get(windows.size() - 1);
            WalFileName end = WalFileName.parse(newest.latestWal());
            List<StreamedWal> tail = repository.stream().continuing(end.timeline(), end.segmentNumber(size) + 1, size);
            if (!tail.isEmpty()) {
                windows.set(windows.size() - 1, newest.streamedTo(tail.get(tail.size() - 1), size, Instant.now()));
            }
        }
        DrillLog.Latest drills = new DrillLog(repository.storage()).latest();
        return new RepositoryReport(repository.storage().describe(),
                Long.toUnsignedString(repository.cluster().systemIdentifier()), repository.cluster().pgMajor(),
                repository.info().cipher().orElse("none"), backups,
                dumps, walReport, windows.isEmpty() ? null : windows.get(windows.size() - 1), windows,
                drills.last().orElse(null), drills.lastSuccess().orElse(null));
    }
}
