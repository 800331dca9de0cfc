package dev.walden.backup;

import dev.walden.catalog.BackupCatalog;
import dev.walden.catalog.BackupLabel;
import dev.walden.catalog.BackupManifest;
import dev.walden.concurrent.ParallelCopies;
import dev.walden.config.ConfigException;
import dev.walden.config.ConfigKeys;
import dev.walden.config.ConfigSource;
import dev.walden.console.Sizes;
import dev.walden.db.ConnectionSettings;
import dev.walden.repo.Compression;
import dev.walden.repo.CompressionSetting;
import dev.walden.repo.Repository;
import dev.walden.storage.StorageLock;
import dev.walden.storage.StorageLockedException;
import dev.walden.wal.ClusterIdentity;
import dev.walden.wal.Lsn;
import dev.walden.wal.WalFileName;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Takes one physical base backup the way pgBackRest does: a SQL session holds
 * {@code pg_backup_start}/{@code pg_backup_stop} while walden copies the data directory itself,
 * in parallel, {@code global/pg_control} last. {@code backup_label} and {@code tablespace_map} from
 * {@code pg_backup_stop} go into the backup, never into the live data directory. The backup is
 * complete only once every WAL file from its start to its stop is in the repository.
 */
public final class BaseBackup {
    private static final Pattern START_WAL = Pattern.compile("START WAL LOCATION: ([0-9A-F]+/[0-9A-F]+) \\(file ([0-9A-F]{24})\\)");
    private static final Pattern START_TIMELINE = Pattern.compile("START TIMELINE: (\\d+)");

    /** Progress for the operator (and for the agent to relay to a waiting client). */
    public interface Progress {
        /** A phase began or ended: one line for people and logs. */
        void report(String line);

        /** One more file copied; called for every file, so a receiver throttles what it shows. */
        default void copied(long bytesDone, long bytesTotal, long filesDone, long filesTotal) {
        }
    }

    /**
     * Gets a WAL file into the repository: archives it from pg_wal if it is still there and not
     * yet archived. Returns whether the repository holds it now.
     */
    public interface WalSource {
        boolean archive(WalFileName name) throws IOException;
    }

    /** What to copy: everything, or what changed since the newest usable backup (its parent). */
    public enum Type {
        FULL(BackupManifest.FULL), INCREMENTAL(BackupManifest.INCREMENTAL);

        private final String manifestName;

        Type(String manifestName) {
            this.manifestName = manifestName;
        }

        /** {@code full} or {@code incr}, as manifests, the command line and the protocol say it. */
        public String manifestName() {
            return manifestName;
        }

        public static Type parse(String name) {
            for (Type t : values()) {
                if (t.manifestName.equals(name)) {
                    return t;
                }
            }
            throw new IllegalArgumentException("'" + name + "' is neither full nor incr");
        }
    }

    public record Options(int workers, boolean fastCheckpoint, Duration walTimeout, boolean verifyChecksums,
                          Compression compression, int level) {

        /** What backup.* and compression say. */
        public static Options from(ConfigSource config) throws ConfigException {
            CompressionSetting compression = CompressionSetting.from(config);
            String checkpoint = config.required(ConfigKeys.BACKUP_CHECKPOINT);
            if (!checkpoint.equals("fast") && !checkpoint.equals("spread")) {
                throw config.invalid(ConfigKeys.BACKUP_CHECKPOINT, "'" + checkpoint + "' is neither fast nor spread");
            }
            return new Options(config.integer(ConfigKeys.BACKUP_WORKERS, 1, 64), checkpoint.equals("fast"),
                    config.duration(ConfigKeys.BACKUP_WAL_TIMEOUT), config.bool(ConfigKeys.BACKUP_VERIFY_CHECKSUMS),
                    compression.compression(), compression.level());
        }
    }

    private final Repository repository;
    private final ConnectionSettings database;
    private final Path pgdata;
    private final Options options;
    private final WalSource walSource;
    private final Clock clock;
    private final Progress progress;

    public BaseBackup(Repository repository, ConnectionSettings database, Path pgdata, Options options,
                      WalSource walSource, Clock clock, Progress progress) {
        this.repository = repository;
        this.database = database;
        this.pgdata = pgdata;
        this.options = options;
        this.walSource = walSource;
        this.clock = clock;
        this.progress = progress;
    }

    /**
     * Takes the backup. Returns its manifest, complete or not (a backup whose WAL never arrived
     * is recorded as incomplete, with the reason).
     *
     * @throws IOException when no backup could be taken at all, or the copy failed
     */
    public BackupManifest run(String owner, Type type) throws IOException {
        StorageLock lock;
        try {
            lock = repository.storage().lock("backup", owner);
        } catch (StorageLockedException e) {
            throw new IOException("a base backup is already running: " + e.holder(), e);
        }
        try (lock; BackupSession session = BackupSession.open(database)) {
            check(session.server());
            return take(session, owner, type == Type.INCREMENTAL ? parent(session.server()) : Optional.empty());
        }
    }

    private void check(BackupSession.ServerInfo server) throws IOException {
        ClusterIdentity cluster = repository.cluster();
        if (server.systemIdentifier() != cluster.systemIdentifier()) {
            throw new IOException("the database at " + database + " is system "
                    + Long.toUnsignedString(server.systemIdentifier()) + ", but the repository holds system "
                    + Long.toUnsignedString(cluster.systemIdentifier()));
        }
        if (server.inRecovery()) {
            throw new IOException("the server at " + database + " is a standby; walden takes base backups from the"
                    + " primary only");
        }
        try {
            if (!Path.of(server.dataDirectory()).toRealPath().equals(pgdata.toRealPath())) {
                throw new IOException("the server's data directory is '" + server.dataDirectory() + "', but pgdata is '"
                        + pgdata + "'");
            }
        } catch (java.nio.file.NoSuchFileException e) {
            throw new IOException("pgdata '" + pgdata + "' does not exist");
        }
    }

    /** The newest usable backup of the same major, for an incremental to build on; empty: take a full one. */
    private Optional<BackupManifest> parent(BackupSession.ServerInfo server) throws IOException {
        Optional<BackupManifest> parent = new BackupCatalog(repository.storage()).list().stream()
                .filter(BackupCatalog.Entry::usable).map(e -> e.manifest().orElseThrow())
                .filter(m -> m.pgMajor() == server.major()).reduce((a, b) -> b);
        if (parent.isEmpty()) {
            progress.report("no usable backup of PostgreSQL " + server.major() + " to build on: taking a full backup");
        } else if (!parent.get().compression().equals(options.compression().configName())) {
            // one manifest names one compression for every object it uses
            progress.report("the newest backup, " + parent.get().label() + ", is compressed with "
                    + parent.get().compression() + " and this one would be " + options.compression().configName()
                    + ": taking a full backup");
            return Optional.empty();
        }
        return parent;
    }

    private BackupManifest take(BackupSession session, String owner, Optional<BackupManifest> parent)
            throws IOException {
        BackupSession.ServerInfo server = session.server();
        BackupCatalog catalog = new BackupCatalog(repository.storage());
        Instant startTime = clock.instant();
        BackupLabel label = BackupLabel.at(startTime);
        while (!repository.storage().list(BackupCatalog.ROOT + label + "/").isEmpty()) {
            startTime = startTime.plusSeconds(1); // a backup finished within the same second
            label = BackupLabel.at(startTime);
        }
        // Recorded before anything else and replaced when the backup ends, however it ends: a
        // backup killed before its first file was copied still shows in walden list, as incomplete.
        catalog.write(incomplete(label, server, startTime, null, BackupManifest.INTERRUPTED + " (" + owner
                + " began it and did not finish it: killed, crashed or cut off, unless it is still running)", parent));
        progress.report("backup " + label + ": pg_backup_start (" + (options.fastCheckpoint() ? "fast" : "spread")
                + " checkpoint)" + parent.map(p -> ", incremental on " + p.label()).orElse(", full"));
        Lsn startLsn;
        try {
            startLsn = session.start("walden " + label, options.fastCheckpoint());
        } catch (IOException | RuntimeException e) {
            forget(catalog, label); // no backup began: nothing to list
            throw e;
        }
        StringBuilder phase = new StringBuilder("copy");
        try {
            return copyAndFinish(session, catalog, label, startLsn, parent, phase);
        } catch (IOException | RuntimeException e) {
            if (!phase.isEmpty()) { // else the backup's own record is written, and stays
                writeIncomplete(catalog, label, server, startTime, startLsn, phase + " failed: " + e.getMessage(),
                        parent);
            }
            throw e;
        }
    }

    /**
     * Everything after pg_backup_start: the copy, pg_backup_stop, the wait for WAL, the manifest.
     *
     * @param phase what is being done, for the reason a backup that fails here is recorded with;
     *     emptied once the backup's final record is written
     */
    private BackupManifest copyAndFinish(BackupSession session, BackupCatalog catalog, BackupLabel label, Lsn startLsn,
                                         Optional<BackupManifest> parent, StringBuilder phase) throws IOException {
        BackupSession.ServerInfo server = session.server();
        Instant started = clock.instant();
        Optional<FileCopier.Parent> base = parent.isEmpty() ? Optional.empty()
                : Optional.of(base(parent.get(), session.timeline()));
        List<BackupManifest.BackupFile> files = new ArrayList<>();
        List<BackupManifest.PageFailure> failures = new ArrayList<>();
        DataDirectoryScan scan = DataDirectoryScan.of(pgdata);
        // walden checks the standard page geometry only; another build's pages are copied unchecked
        boolean standardPages = server.blockSize() == PageChecksum.BLOCK_SIZE
                && server.segmentBlocks() == PageChecksum.BLOCKS_PER_SEGMENT;
        if (server.dataChecksums() && !standardPages) {
            progress.report("page checksums not checked: block_size " + server.blockSize() + ", segment_size "
                    + server.segmentBlocks() + " blocks");
        }
        copy(label, scan, server.dataChecksums() && standardPages, base, files, failures);
        phase.replace(0, phase.length(), "pg_backup_stop");
        BackupSession.StopResult stop = session.stop();
        Instant stopped = clock.instant();
        phase.replace(0, phase.length(), "finishing");
        // listed before pg_control, which stays last as it was copied
        files.add(files.size() - 1, store(label, "backup_label", stop.labelFile(), files.size()));
        if (!stop.tablespaceMap().isEmpty()) {
            files.add(files.size() - 1, store(label, "tablespace_map", stop.tablespaceMap(), files.size()));
        }
        progress.report("backup " + label + ": pg_backup_stop at " + stop.lsn() + "; checking its WAL is archived");

        Matcher startWal = START_WAL.matcher(stop.labelFile());
        Matcher startTli = START_TIMELINE.matcher(stop.labelFile());
        if (!startWal.find() || !startTli.find()) {
            throw new IOException("pg_backup_stop returned a backup_label walden can't read:\n" + stop.labelFile());
        }
        WalFileName firstWal = WalFileName.parse(startWal.group(2));
        int startTimeline = Integer.parseInt(startTli.group(1));
        var size = repository.cluster().segmentSize();
        WalFileName lastWal = WalFileName.segment(stop.timeline(), new Lsn(stop.lsn().value() - 1).segmentNumber(size),
                size);
        String status = BackupManifest.COMPLETE;
        String detail = null;
        if (startTimeline != stop.timeline()) {
            status = BackupManifest.INCOMPLETE;
            detail = "the timeline changed from " + startTimeline + " to " + stop.timeline() + " during the backup";
        } else {
            String missing = awaitWal(firstWal.segmentNumber(size), lastWal.segmentNumber(size), stop.timeline());
            if (missing != null) {
                status = BackupManifest.INCOMPLETE;
                detail = missing;
            }
        }
        long original = files.stream().mapToLong(BackupManifest.BackupFile::size).sum();
        long stored = storedHere(label, files);
        BackupManifest manifest = new BackupManifest(BackupManifest.FORMAT, label.value(), status, detail,
                Long.toUnsignedString(server.systemIdentifier()), server.version(), server.major(),
                server.walSegmentSize(), started.toString(), stopped.toString(), startLsn.toString(),
                stop.lsn().toString(), startTimeline, stop.timeline(), firstWal.toString(), lastWal.toString(),
                options.compression().configName(), original, stored, server.dataChecksums(), failures,
                scan.tablespaces().stream().map(t -> new BackupManifest.Tablespace(t.oid(), t.location().toString()))
                        .toList(),
                scan.directories(), files, parent.isPresent() ? BackupManifest.INCREMENTAL : BackupManifest.FULL,
                parent.map(BackupManifest::label).orElse(null));
        catalog.write(manifest);
        phase.setLength(0);
        progress.report("backup " + label + ": " + status + (detail == null ? "" : " (" + detail + ")") + "; "
                + files.size() + " files, " + Sizes.bytes(original) + " stored in " + Sizes.bytes(stored)
                + parent.map(p -> " (incremental on " + p.label() + ")").orElse("") + ", "
                + Duration.between(started, stopped).toSeconds() + " s"
                + (failures.isEmpty() ? "" : "; " + failures.size() + " page(s) failed their checksum twice"));
        return manifest;
    }

    /**
     * What the parent gives an incremental. On another timeline than the parent's, the data
     * directory may be another copy of the cluster (a promoted standby): its files' times prove
     * nothing, so every file is read and compared by block.
     */
    private static FileCopier.Parent base(BackupManifest parent, int timeline) {
        java.util.Map<String, BackupManifest.BackupFile> files = new java.util.HashMap<>();
        for (BackupManifest.BackupFile f : parent.files()) {
            files.put(f.path(), timeline == parent.stopTimeline() ? f : new BackupManifest.BackupFile(f.path(),
                    f.key(), f.size(), f.storedSize(), f.sha256(), f.mode(), null, f.deltas(), f.blockMap()));
        }
        return new FileCopier.Parent(files, Lsn.parse(parent.startLsn()));
    }

    /** What this backup's own objects occupy (an incremental's files may live in its parents'). */
    private static long storedHere(BackupLabel label, List<BackupManifest.BackupFile> files) {
        String prefix = BackupCatalog.ROOT + label + "/";
        long stored = 0;
        for (BackupManifest.BackupFile f : files) {
            stored += f.key().startsWith(prefix) ? f.storedSize() : 0;
            stored += f.deltas().stream().filter(d -> d.key().startsWith(prefix))
                    .mapToLong(BackupManifest.Delta::storedSize).sum();
            stored += f.blockMap() != null && f.blockMap().key().startsWith(prefix) ? f.blockMap().storedSize() : 0;
        }
        return stored;
    }

    private void copy(BackupLabel label, DataDirectoryScan scan, boolean dataChecksums,
                      Optional<FileCopier.Parent> parent, List<BackupManifest.BackupFile> files,
                      List<BackupManifest.PageFailure> failures) throws IOException {
        // the wall clock, not this.clock: what it is compared with is the files' modification times
        FileCopier copier = new FileCopier(repository.storage(), options.compression(), options.level(),
                options.verifyChecksums() && dataChecksums, parent, Instant.now());
        List<DataDirectoryScan.SourceFile> sources = new ArrayList<>(scan.files());
        // biggest first keeps the workers busy to the end
        sources.sort(Comparator.comparingLong(DataDirectoryScan.SourceFile::size).reversed());
        long total = sources.stream().mapToLong(DataDirectoryScan.SourceFile::size).sum() + scan.pgControl().size();
        progress.report("copying " + (sources.size() + 1) + " files (" + Sizes.bytes(total) + ") with "
                + options.workers() + " worker(s)" + (options.verifyChecksums() && dataChecksums
                ? ", checking page checksums" : ""));
        AtomicLong done = new AtomicLong();
        AtomicLong filesDone = new AtomicLong();
        long filesTotal = sources.size() + 1L;
        List<Callable<java.util.Optional<FileCopier.Copied>>> copies = new ArrayList<>();
        for (int i = 0; i < sources.size(); i++) {
            DataDirectoryScan.SourceFile source = sources.get(i);
            FileCopier.Keys keys = new FileCopier.Keys(BackupCatalog.fileKey(label, source.path(), i,
                    options.compression()), BackupCatalog.deltaKey(label, source.path(), i, options.compression()),
                    BackupCatalog.blockMapKey(label, source.path(), i, options.compression()));
            copies.add(() -> {
                var copied = copier.copy(source, keys);
                progress.copied(done.addAndGet(source.size()), total, filesDone.incrementAndGet(), filesTotal);
                return copied;
            });
        }
        for (var copied : ParallelCopies.run("walden-backup-copy", options.workers(), copies, "copying")) {
            copied.ifPresent(c -> {
                files.add(c.file());
                failures.addAll(c.failures());
            });
        }
        files.sort(Comparator.comparing(BackupManifest.BackupFile::path));
        // pg_control last: recovery from the backup must see the checkpoint of the backup start
        String controlKey = BackupCatalog.fileKey(label, scan.pgControl().path(), sources.size(), options.compression());
        FileCopier.Copied control = copier.copyPgControl(scan.pgControl(), controlKey);
        progress.copied(done.addAndGet(scan.pgControl().size()), total, filesDone.incrementAndGet(), filesTotal);
        files.add(control.file());
    }

    private BackupManifest.BackupFile store(BackupLabel label, String path, String content, int index)
            throws IOException {
        byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
        String key = BackupCatalog.fileKey(label, path, index, options.compression());
        var result = dev.walden.repo.ObjectPut.put(repository.storage(), key, new ByteArrayInputStream(bytes),
                options.compression(), options.level(), java.util.Optional.empty(), null);
        return new BackupManifest.BackupFile(path, key, result.originalBytes(), result.storedBytes(), result.sha256(),
                "rw-------");
    }

    /** Waits for segments first..last; returns null when all are archived, else what is missing. */
    private String awaitWal(long first, long last, int timeline) throws IOException {
        var size = repository.cluster().segmentSize();
        long deadline = System.nanoTime() + options.walTimeout().toNanos();
        for (long segno = first; segno <= last; segno++) {
            WalFileName name = WalFileName.segment(timeline, segno, size);
            while (repository.wal().find(name).isEmpty() && !walSource.archive(name)) {
                if (System.nanoTime() > deadline) {
                    return "WAL file " + name + " was not archived within " + options.walTimeout().toSeconds()
                            + " s of pg_backup_stop (is archive_command set to walden-push, and the agent running?)";
                }
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while waiting for WAL", e);
                }
            }
        }
        return null;
    }

    private void writeIncomplete(BackupCatalog catalog, BackupLabel label, BackupSession.ServerInfo server,
                                 Instant start, Lsn startLsn, String detail, Optional<BackupManifest> parent) {
        try {
            catalog.write(incomplete(label, server, start, startLsn, detail, parent));
        } catch (IOException | RuntimeException e) {
            progress.report("could not record the failed backup " + label + ": " + e.getMessage());
        }
    }

    /** The record of a backup that is not (or not yet) complete: what is known, and why. */
    private BackupManifest incomplete(BackupLabel label, BackupSession.ServerInfo server, Instant start, Lsn startLsn,
                                      String detail, Optional<BackupManifest> parent) {
        return new BackupManifest(BackupManifest.FORMAT, label.value(), BackupManifest.INCOMPLETE, detail,
                Long.toUnsignedString(server.systemIdentifier()), server.version(), server.major(),
                server.walSegmentSize(), start.toString(), null, startLsn == null ? null : startLsn.toString(), null,
                0, 0, null, null, options.compression().configName(), 0, 0, server.dataChecksums(), List.of(),
                List.of(), List.of(), List.of(), parent.isPresent() ? BackupManifest.INCREMENTAL : BackupManifest.FULL,
                parent.map(BackupManifest::label).orElse(null));
    }

    /** Removes the record of a backup that never began; a failure to is only reported. */
    private void forget(BackupCatalog catalog, BackupLabel label) {
        try {
            catalog.delete(label);
        } catch (IOException | RuntimeException e) {
            progress.report("could not remove the record of backup " + label + ", which never began: "
                    + e.getMessage());
        }
    }

}
