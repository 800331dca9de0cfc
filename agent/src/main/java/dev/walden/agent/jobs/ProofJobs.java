package dev.walden.agent.jobs;

import dev.walden.agent.archive.AgentMetrics;
import dev.walden.catalog.AuditLog;
import dev.walden.catalog.DrillLog;
import dev.walden.concurrent.DaemonThreads;
import dev.walden.repo.Json;
import dev.walden.storage.Storage;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The agent's proofs that the repository restores: the scheduled restore drill and verify. Each
 * runs as its own {@code walden drill} / {@code walden verify} process under {@code nice}, one at
 * a time on a thread of their own, so a drill's recovery competes with production for the CPU
 * only at low priority, its memory is never the agent's, and archiving and backups go on. What
 * they found goes to the metrics and to {@code walden status}; the drill's record and both audit
 * entries are written by the commands themselves.
 */
public final class ProofJobs implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(ProofJobs.class.getName());
    /** Longest a scheduled drill or verify may run before it is stopped (SIGTERM: the drill cleans up). */
    static final Duration LIMIT = Duration.ofHours(6);
    /** How far back the audit trail is read at start-up for the last clean verify. */
    private static final Duration VERIFY_LOOKBACK = Duration.ofDays(35);

    private final Storage storage;
    private final Optional<Path> configFile;
    private final Path launcher;
    private final Clock clock;
    private final AgentMetrics metrics;
    private final ExecutorService executor = Executors.newSingleThreadExecutor(DaemonThreads.named("walden-proofs"));
    private volatile Optional<DrillLog.Drill> lastDrill = Optional.empty();
    private volatile Optional<DrillLog.Drill> lastSuccessfulDrill = Optional.empty();
    private volatile Optional<Instant> lastVerify = Optional.empty();
    private volatile Optional<Instant> lastCleanVerify = Optional.empty();

    /**
     * @param configFile the config file the agent read, handed on; the children inherit the
     *     agent's environment (WALDEN_* settings, the repository passphrase) too
     * @param launcher {@code bin/walden}
     */
    public ProofJobs(Storage storage, Optional<Path> configFile, Path launcher, Clock clock, AgentMetrics metrics) {
        this.storage = storage;
        this.configFile = configFile;
        this.launcher = launcher;
        this.clock = clock;
        this.metrics = metrics;
    }

    /**
     * Reads the newest drill and clean verify from the repository, so metrics and status outlive a
     * restart; on the proofs' thread, so the agent's start does not wait for a listing.
     */
    public void loadHistory() {
        executor.execute(this::readHistory);
    }

    private void readHistory() {
        try {
            DrillLog.Latest latest = new DrillLog(storage).latest();
            lastDrill = latest.last();
            lastSuccessfulDrill = latest.lastSuccess();
            latest.lastSuccess().ifPresent(d -> metrics.drillFinished(d, false));
            for (AuditLog.Entry e : new AuditLog(storage).read(Optional.of(clock.instant().minus(VERIFY_LOOKBACK)))) {
                if (e.action().equals("verify")) {
                    Instant ended = Instant.parse(e.time()).plusMillis((long) (e.durationSeconds() * 1000));
                    lastVerify = Optional.of(ended);
                    if (e.ok()) {
                        lastCleanVerify = Optional.of(ended);
                        metrics.verifyFinished(ended, true, false);
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.WARNING, "could not read past drills and verifies: " + e.getMessage());
        }
    }

    /** Queues a restore drill; the future completes when it has ended, however it ended. */
    public CompletableFuture<Void> drill() {
        return CompletableFuture.runAsync(() -> {
            Optional<Finished> run = run("drill", List.of("drill", "--json", "--trigger", "schedule"));
            if (run.isEmpty()) {
                return;
            }
            try {
                DrillLog.Drill drill = Json.MAPPER.readValue(run.get().stdout(), DrillLog.Drill.class);
                lastDrill = Optional.of(drill);
                if (drill.ok()) {
                    lastSuccessfulDrill = Optional.of(drill);
                    LOG.log(Level.INFO, "scheduled drill passed: backup " + drill.backup() + ", RTO "
                            + drill.rto().map(r -> String.format("%.1f s", r)).orElse("-"));
                } else {
                    LOG.log(Level.WARNING, "scheduled drill FAILED: " + drill.failure());
                }
                metrics.drillFinished(drill, true);
            } catch (IOException e) {
                LOG.log(Level.WARNING, "scheduled drill ended with exit " + run.get().exit() + " and no record: "
                        + run.get().lastErrorLine());
                metrics.drillFinished(DrillLog.Drill.of(run.get().started(), false, null, null, null, null, null,
                        Map.of(), Map.of(), List.of(), "exit " + run.get().exit(), null, "schedule"), true);
            }
        }, executor);
    }

    /** Queues walden verify; the future completes when it has ended. */
    public CompletableFuture<Void> verify() {
        return CompletableFuture.runAsync(() -> {
            Optional<Finished> run = run("verify", List.of("verify"));
            if (run.isEmpty()) {
                return;
            }
            Instant at = clock.instant();
            boolean healthy = run.get().exit() == 0;
            lastVerify = Optional.of(at);
            if (healthy) {
                lastCleanVerify = Optional.of(at);
                LOG.log(Level.INFO, "scheduled verify: healthy");
            } else {
                LOG.log(Level.WARNING, "scheduled verify found problems (exit " + run.get().exit() + "): "
                        + run.get().lastOutputLine());
            }
            metrics.verifyFinished(at, healthy, true);
        }, executor);
    }

    /** What {@code walden status} shows of the proofs. */
    public Map<String, String> status() {
        Map<String, String> values = new LinkedHashMap<>();
        values.put("last_drill", lastDrill.map(DrillLog.Drill::time).orElse(""));
        values.put("last_drill_result", lastDrill.map(DrillLog.Drill::result).orElse(""));
        values.put("last_successful_drill", lastSuccessfulDrill.map(DrillLog.Drill::time).orElse(""));
        values.put("last_drill_rto_seconds", lastSuccessfulDrill.flatMap(DrillLog.Drill::rto)
                .map(r -> String.format(java.util.Locale.ROOT, "%.1f", r)).orElse(""));
        values.put("last_verify", lastVerify.map(Instant::toString).orElse(""));
        values.put("last_clean_verify", lastCleanVerify.map(Instant::toString).orElse(""));
        return values;
    }

    private record Finished(Instant started, int exit, String stdout, String stderr) {
        String lastErrorLine() {
            List<String> lines = stderr.lines().filter(l -> !l.isBlank()).toList();
            return lines.isEmpty() ? "" : lines.get(lines.size() - 1);
        }

        String lastOutputLine() {
            List<String> lines = stdout.lines().filter(l -> !l.isBlank()).toList();
            return lines.isEmpty() ? lastErrorLine() : lines.get(lines.size() - 1);
        }
    }

    /** Runs {@code walden ARGS} under nice; empty when it could not be started (logged). */
    private Optional<Finished> run(String what, List<String> args) {
        if (!Files.isExecutable(launcher)) {
            LOG.log(Level.WARNING, "cannot run the scheduled " + what + ": no walden launcher at " + launcher);
            return Optional.empty();
        }
        List<String> command = new ArrayList<>();
        if (Files.isExecutable(Path.of("/usr/bin/nice"))) {
            command.addAll(List.of("/usr/bin/nice", "-n", "10"));
        }
        command.add(launcher.toString());
        command.addAll(args);
        configFile.ifPresent(f -> command.addAll(List.of("--config", f.toString())));
        Instant started = clock.instant();
        LOG.log(Level.INFO, "scheduled " + what + " starting");
        Path out = null;
        Path err = null;
        try {
            out = Files.createTempFile("walden-" + what + "-", ".out");
            err = Files.createTempFile("walden-" + what + "-", ".err");
            Process p = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            try {
                if (!p.waitFor(LIMIT.toSeconds(), TimeUnit.SECONDS)) {
                    p.destroy(); // SIGTERM: a drill stops its copy and removes it
                    if (!p.waitFor(5, TimeUnit.MINUTES)) {
                        p.destroyForcibly();
                    }
                    LOG.log(Level.WARNING, "scheduled " + what + " stopped after " + LIMIT.toHours() + " h");
                }
            } catch (InterruptedException e) { // the agent is shutting down
                p.destroy();
                Thread.currentThread().interrupt();
                return Optional.empty();
            }
            return Optional.of(new Finished(started, p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8)));
        } catch (IOException | IllegalThreadStateException e) {
            LOG.log(Level.WARNING, "scheduled " + what + " could not run: " + e.getMessage());
            return Optional.empty();
        } finally {
            for (Path p : new Path[] {out, err}) {
                try {
                    if (p != null) {
                        Files.deleteIfExists(p);
                    }
                } catch (IOException ignored) { // a temporary file
                }
            }
        }
    }

    @Override
    public void close() {
        executor.shutdownNow(); // interrupts a running child's wait: it gets SIGTERM
        try {
            executor.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
