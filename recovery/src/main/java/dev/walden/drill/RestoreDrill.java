package dev.walden.drill;

import dev.walden.backup.BackupSettings;
import dev.walden.catalog.DrillLog;
import dev.walden.catalog.DrillLog.Check;
import dev.walden.config.ConfigException;
import dev.walden.config.ConfigSource;
import dev.walden.recovery.PointInTimeRecovery;
import dev.walden.recovery.RecoveredServer;
import dev.walden.recovery.RecoveryTarget;
import dev.walden.repo.StorageFactory;
import dev.walden.storage.Storage;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A restore drill: recover a backup into a throwaway copy in {@code drill.directory} (private
 * socket, no TCP, archiving nowhere), replay to the target (the newest archived WAL by default),
 * promote, run {@link DrillChecks}, then stop the copy and remove it, and record what happened in
 * the repository ({@link DrillLog}). The copy is removed whatever happens: a failed recovery, a
 * failed check, or {@link #abandon()} from a shutdown hook on SIGTERM.
 */
public final class RestoreDrill {
    /**
     * @param target where to replay to; {@code walden drill}'s default is the newest archived WAL
     * @param backup the backup to restore; empty for the newest that fits the target
     * @param trigger what started it: {@code command} or {@code schedule}
     */
    public record Options(RecoveryTarget target, Optional<String> backup, Optional<Integer> port, Duration timeout,
                          String trigger) {
    }

    private final ConfigSource config;
    private final DrillSettings settings;
    private final PrintWriter out;
    private final Path workDirectory;
    private final AtomicBoolean finished = new AtomicBoolean();
    /** Set first thing by {@link #stopBySignal}: the record is then the signal's, not the failure it causes. */
    private volatile boolean signalled;
    /** Counted down once run's own record is written: a signal that comes meanwhile waits for it. */
    private final java.util.concurrent.CountDownLatch recorded = new java.util.concurrent.CountDownLatch(1);
    private volatile String phase = "plan";
    private volatile Instant started;

    public RestoreDrill(ConfigSource config, DrillSettings settings, PrintWriter out) {
        this.config = config;
        this.settings = settings;
        this.out = out;
        this.workDirectory = settings.directory().resolve("drill-"
                + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + "-"
                + ProcessHandle.current().pid());
    }

    /** Where this drill restores: a new directory of its own in {@code drill.directory}, removed at the end. */
    public Path workDirectory() {
        return workDirectory;
    }

    /**
     * Runs the drill and records it. Returns the record; a drill that failed (recovery, a check)
     * is a record with result {@code failed}, not an exception. Only a failure to even record it
     * throws.
     */
    public DrillLog.Drill run(Options options) throws IOException, ConfigException, InterruptedException {
        started = Instant.now();
        Files.createDirectories(settings.directory());
        Files.createDirectory(workDirectory, PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwx------")));
        Path pgdata = workDirectory.resolve("data");
        PointInTimeRecovery.Request request = PointInTimeRecovery.Request.to(options.target(), pgdata)
                .backup(options.backup()).port(options.port()).timeout(options.timeout()).privateCopy(true)
                .wholeArchive(true).build();
        Map<String, Double> phases = new LinkedHashMap<>();
        Map<String, Double> rto = new LinkedHashMap<>();
        List<Check> checks = new ArrayList<>();
        String failure = null;
        String backup = options.backup().orElse(null);
        Optional<PointInTimeRecovery.Recovered> recovered = Optional.empty();
        try {
            phase = "recovery";
            PointInTimeRecovery.Recovered copy = new PointInTimeRecovery(config, out).recover(request);
            recovered = Optional.of(copy);
            backup = copy.backup().label();
            PointInTimeRecovery.Phases p = copy.phases();
            phases.put("plan", p.plan());
            phases.put("restore", p.restore());
            phases.put("stage", p.stage());
            phases.put("recover", p.recover());
            rto.put("target", seconds(started, Instant.now()));
            copy.outcome().flatMap(RecoveredServer.Outcome::consistentAt)
                    .ifPresent(at -> rto.put("consistent", seconds(started, at)));
            phase = "checks";
            long checksBegan = System.nanoTime();
            checks.addAll(new DrillChecks(settings, BackupSettings.from(config, System.getenv()).connection(),
                    options.timeout(), out).run(copy));
            phases.put("checks", (System.nanoTime() - checksBegan) / 1e9);
            List<String> failed = checks.stream().filter(Check::isFailure).map(c -> c.name() + ": " + c.detail())
                    .toList();
            if (!failed.isEmpty()) {
                failure = "check failed: " + String.join("; ", failed);
            }
        } catch (IOException | ConfigException | RuntimeException | InterruptedException e) {
            failure = e.getMessage() == null ? e.toString() : e.getMessage();
        }
        List<String> logTail = failure == null ? null : logTail(pgdata);
        phase = "cleanup";
        long cleanupBegan = System.nanoTime();
        if (recovered.isPresent()) {
            try {
                recovered.get().remove(); // a clean stop, and a socket directory kept elsewhere
            } catch (IOException e) {
                out.println("walden drill: stopping the copy cleanly failed (" + e.getMessage() + "); stopping it now");
            }
        }
        abandon();
        phases.put("cleanup", (System.nanoTime() - cleanupBegan) / 1e9);
        phases.put("total", seconds(started, Instant.now()));
        DrillLog.Drill drill = DrillLog.Drill.of(started, failure == null, backup, options.target().describe(),
                recovered.flatMap(r -> r.outcome()).flatMap(RecoveredServer.Outcome::replayed)
                        .flatMap(RecoveredServer.Replayed::lsn).orElse(null),
                recovered.flatMap(r -> r.outcome()).flatMap(RecoveredServer.Outcome::replayed)
                        .flatMap(RecoveredServer.Replayed::lastTransaction).orElse(null),
                recovered.flatMap(r -> r.outcome()).flatMap(RecoveredServer.Outcome::timeline).orElse(null),
                phases, rto, checks, failure, logTail, options.trigger());
        if (!signalled && finished.compareAndSet(false, true)) {
            try {
                record(drill);
            } finally {
                recorded.countDown();
            }
        }
        return drill;
    }

    /**
     * Stops the copy if it runs (immediate shutdown: it is thrown away) and removes everything the
     * drill made. Safe to call from a shutdown hook while {@link #run} is still going; then the
     * drill is recorded as stopped, once.
     */
    public void abandon() throws IOException, InterruptedException {
        stopServer(workDirectory.resolve("data"));
        // restore workers may still be writing when a signal comes: delete until nothing has
        // come back for three looks in a row
        int quiet = 0;
        for (int attempt = 0; attempt < 50 && quiet < 3; attempt++) {
            if (!Files.exists(workDirectory, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                quiet++;
                Thread.sleep(50);
                continue;
            }
            quiet = 0;
            try {
                PointInTimeRecovery.deleteTree(workDirectory);
            } catch (IOException e) {
                if (attempt == 49) {
                    throw e;
                }
                Thread.sleep(100);
            }
        }
    }

    /** From a shutdown hook: remove the copy, and record the drill as stopped unless it recorded itself. */
    public void stopBySignal() {
        signalled = true;
        String during = phase; // stopping the copy ends the recovery: the main thread moves on to cleanup
        try {
            abandon();
        } catch (IOException | InterruptedException e) {
            out.println("walden drill: could not remove " + workDirectory + ": " + e.getMessage());
        }
        if (started != null && finished.compareAndSet(false, true)) {
            String failure = "stopped by a signal during " + during + "; the copy was removed";
            try (Storage storage = StorageFactory.open(config)) {
                new DrillLog(storage).append(DrillLog.Drill.of(started, false, null, null, null, null, null,
                        Map.of("total", seconds(started, Instant.now())), Map.of(), List.of(), failure, null,
                        "signal"));
                new dev.walden.catalog.AuditLog(storage).tryAppend(dev.walden.catalog.AuditLog.entry("drill", "-",
                        false, failure, started, java.time.Clock.systemUTC(), "signal"), out::println);
            } catch (IOException | ConfigException | RuntimeException e) {
                out.println("walden drill: could not record the stopped drill: " + e.getMessage());
            }
        } else {
            try { // the drill is writing its own record: let it finish before the JVM halts
                recorded.await(10, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        out.flush();
    }

    private void record(DrillLog.Drill drill) throws IOException, ConfigException {
        try (Storage storage = StorageFactory.open(config)) {
            String key = new DrillLog(storage).append(drill);
            out.println("recorded as " + key + " in " + storage.describe());
            out.flush();
        }
    }

    /**
     * Stops every process of the copy: the postmaster its postmaster.pid names, and any process
     * whose command line names the drill's directory (a server pg_ctl is still starting, before
     * its pid file is written; restore_command children). SIGQUIT is an immediate shutdown:
     * nothing of the copy is kept, so nothing needs to be flushed.
     */
    private void stopServer(Path pgdata) throws IOException, InterruptedException {
        List<ProcessHandle> processes = new ArrayList<>();
        try {
            List<String> lines = Files.readAllLines(pgdata.resolve("postmaster.pid"));
            if (!lines.isEmpty()) {
                ProcessHandle.of(Long.parseLong(lines.get(0).strip())).ifPresent(processes::add);
            }
        } catch (IOException | NumberFormatException e) {
            // no server was started, or it is gone: look for one by its command line
        }
        String directory = workDirectory + "/";
        ProcessHandle.allProcesses().filter(p -> p.pid() != ProcessHandle.current().pid())
                .filter(p -> p.info().commandLine().map(c -> c.contains(directory)).orElse(false))
                .forEach(processes::add);
        processes.removeIf(p -> !p.isAlive());
        if (processes.isEmpty()) {
            return;
        }
        List<String> kill = new ArrayList<>(List.of("kill", "-QUIT"));
        processes.forEach(p -> kill.add(Long.toString(p.pid())));
        new ProcessBuilder(kill).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start()
                .waitFor(10, TimeUnit.SECONDS);
        for (int i = 0; i < 300 && processes.stream().anyMatch(ProcessHandle::isAlive); i++) {
            Thread.sleep(100);
        }
        processes.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
    }

    private static List<String> logTail(Path pgdata) {
        Path log = pgdata.resolveSibling(pgdata.getFileName() + ".log");
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.ISO_8859_1);
            return List.copyOf(lines.subList(Math.max(0, lines.size() - DrillLog.LOG_TAIL_LINES), lines.size()));
        } catch (IOException e) {
            return null; // the server was never started
        }
    }

    private static double seconds(Instant from, Instant to) {
        return Duration.between(from, to).toMillis() / 1000.0;
    }
}
