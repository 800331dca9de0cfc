package dev.walden.recovery;

import dev.walden.cluster.LocalCluster;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The recovered cluster next to production: its recovery settings, its start, and watching its
 * log until it reaches the target (or fails, saying why in PostgreSQL's own words). Watching the
 * log rather than connecting works whatever pg_hba.conf the backup brought along.
 */
public final class RecoveredServer {
    private static final Pattern STOPPING = Pattern.compile("recovery stopping (.*)");
    private static final Pattern LAST_XACT = Pattern.compile("last completed transaction was at log time (.*)");
    private static final Pattern REDO_DONE = Pattern.compile("redo done at ([0-9A-F]+/[0-9A-F]+)");
    private static final Pattern CONSISTENT = Pattern.compile("consistent recovery state reached at ([0-9A-F]+/[0-9A-F]+)");
    private static final Pattern NEW_TIMELINE = Pattern.compile("selected new timeline ID: (\\d+)");
    private static final Pattern RESTORED = Pattern.compile("restored log file \"([0-9A-F]{24})\" from archive");

    /** Where recovery ended and in which state the server is. */
    public record Outcome(String state, Optional<String> stoppedAt, Optional<String> redoDone, Optional<String> lastTransaction,
                   Optional<Integer> timeline) {
    }

    private RecoveredServer() {
    }

    /**
     * Appends the recovery settings to postgresql.auto.conf (which wins over postgresql.conf) and
     * creates recovery.signal. Archiving is switched off for good measure: a recovered cluster
     * must never write into the production repository.
     *
     * @param privateCopy a throwaway copy only walden reads from: no TCP at all, and any role may
     *     connect without a password over its socket, whose directory is private to this user
     */
    static void configure(Path pgdata, int port, Path socketDir, String restoreCommand, Map<String, String> target,
                          String timeline, RecoveryTarget.Action action, int major, boolean privateCopy)
            throws IOException {
        if (!Files.exists(pgdata.resolve("postgresql.conf"))) {
            // Debian keeps it in /etc/postgresql: the backup has none, PostgreSQL needs one
            Files.writeString(pgdata.resolve("postgresql.conf"), "# written by walden recover: the backup had no "
                    + "postgresql.conf (it lives outside the data directory on this system)\n");
        }
        if (!Files.exists(pgdata.resolve("pg_hba.conf"))) {
            Files.writeString(pgdata.resolve("pg_hba.conf"), "# written by walden recover\nlocal all all peer\n");
        }
        StringBuilder conf = new StringBuilder("\n# walden recover: settings for a recovered copy, next to production\n");
        setting(conf, "data_directory", pgdata.toString());
        if (privateCopy) {
            Path hba = pgdata.resolve("pg_hba.walden.conf");
            Files.writeString(hba, "# written by walden: a temporary copy reached only through a private socket\n"
                    + "local all all trust\n");
            setting(conf, "hba_file", hba.toString());
        } else {
            setting(conf, "hba_file", pgdata.resolve("pg_hba.conf").toString());
        }
        if (Files.exists(pgdata.resolve("pg_ident.conf"))) {
            setting(conf, "ident_file", pgdata.resolve("pg_ident.conf").toString());
        }
        setting(conf, "external_pid_file", "");
        setting(conf, "port", Integer.toString(port));
        setting(conf, "listen_addresses", privateCopy ? "" : "localhost");
        setting(conf, "unix_socket_directories", socketDir.toString());
        setting(conf, "cluster_name", "walden-recovered");
        setting(conf, "logging_collector", "off");
        setting(conf, "archive_mode", "off");
        setting(conf, "archive_command", "");
        if (major >= 15) {
            setting(conf, "archive_library", "");
        }
        setting(conf, "primary_conninfo", "");
        setting(conf, "primary_slot_name", "");
        setting(conf, "hot_standby", "on");
        conf.append("restore_command = ").append(LocalCluster.quote(restoreCommand)).append('\n');
        target.forEach((k, v) -> setting(conf, k, v));
        setting(conf, "recovery_target_timeline", timeline);
        setting(conf, "recovery_target_action", action.setting());
        Files.writeString(pgdata.resolve("postgresql.auto.conf"), conf, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);
        Files.deleteIfExists(pgdata.resolve("standby.signal"));
        Files.writeString(pgdata.resolve("recovery.signal"), "");
    }

    private static void setting(StringBuilder conf, String key, String value) {
        conf.append(key).append(" = ").append(LocalCluster.quote(value)).append('\n');
    }

    /** Starts the server and follows its log until the target is reached, the server fails, or time runs out. */
    static Outcome startAndWait(Path bin, Path pgdata, Path log, RecoveryTarget.Action action, Duration timeout,
                                Map<String, String> waldenEnvironment, PrintWriter out)
            throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(bin.resolve("pg_ctl").toString(), "-D", pgdata.toString(), "-l",
                log.toString(), "-W", "start").redirectErrorStream(true);
        // restore_command may run walden fetch: it must read the configuration this recovery read
        builder.environment().keySet().removeIf(k -> k.startsWith("WALDEN_"));
        builder.environment().putAll(waldenEnvironment);
        Process start = builder.start();
        String startOutput = new String(start.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        if (!start.waitFor(60, TimeUnit.SECONDS) || start.exitValue() != 0) {
            throw new IOException("pg_ctl start failed: " + startOutput + lastFatal(read(log)).map(f -> ": " + f)
                    .orElse(""));
        }
        long started = System.nanoTime();
        long deadline = started + timeout.toNanos();
        String lastRestored = null;
        long lastReport = 0;
        while (true) {
            String text = read(log);
            boolean done = switch (action) {
                case PROMOTE -> text.contains("archive recovery complete")
                        && text.lastIndexOf("database system is ready to accept connections")
                        > text.indexOf("archive recovery complete");
                case PAUSE -> text.contains("pausing at the end of recovery") || text.contains("recovery has paused");
                case SHUTDOWN -> text.contains("shutdown at recovery target") && text.contains("database system is shut down");
            };
            if (done) {
                return outcome(text, action);
            }
            // FATALs of a running server are about connections; one that stops the server is about recovery
            boolean stopped = text.contains("database system is shut down")
                    || lastFatal(text).isPresent() && !Files.exists(pgdata.resolve("postmaster.pid"))
                    && System.nanoTime() - started > 2_000_000_000L;
            if (stopped) {
                throw new IOException("recovery failed: " + lastFatal(text).orElse("the server stopped before reaching "
                        + "the target") + " (log: " + log + ")");
            }
            Matcher restored = RESTORED.matcher(text);
            String newest = null;
            while (restored.find()) {
                newest = restored.group(1);
            }
            if (newest != null && !newest.equals(lastRestored) && System.nanoTime() - lastReport > 3_000_000_000L) {
                lastRestored = newest;
                lastReport = System.nanoTime();
                out.println("replaying WAL: " + newest);
                out.flush();
            }
            if (System.nanoTime() > deadline) {
                throw new IOException("recovery did not reach the target within " + timeout.toMinutes()
                        + " min; the server keeps running (" + log + ")");
            }
            Thread.sleep(200);
        }
    }

    /** Stops a recovered server (fast: sessions are cut, nothing is lost); its data directory stays. */
    static void stop(Path bin, Path pgdata) throws IOException, InterruptedException {
        Process stop = new ProcessBuilder(bin.resolve("pg_ctl").toString(), "-D", pgdata.toString(), "-m", "fast", "-w",
                "-t", "120", "stop").redirectErrorStream(true).start();
        String output = new String(stop.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        if (!stop.waitFor(150, TimeUnit.SECONDS) || stop.exitValue() != 0) {
            stop.destroyForcibly();
            throw new IOException("pg_ctl stop of the recovered server in " + pgdata + " failed: " + output);
        }
    }

    private static Outcome outcome(String log, RecoveryTarget.Action action) {
        String state = switch (action) {
            case PROMOTE -> "promoted: open for reads and writes";
            case PAUSE -> "paused at the target: open for reads; SELECT pg_wal_replay_resume() promotes it";
            case SHUTDOWN -> "shut down at the target";
        };
        return new Outcome(state, last(STOPPING, log), last(REDO_DONE, log).or(() -> last(CONSISTENT, log)),
                last(LAST_XACT, log), last(NEW_TIMELINE, log).map(Integer::parseInt));
    }

    private static Optional<String> last(Pattern pattern, String text) {
        Matcher m = pattern.matcher(text);
        String found = null;
        while (m.find()) {
            found = m.group(1).strip();
        }
        return Optional.ofNullable(found);
    }

    static Optional<String> lastFatal(String log) {
        List<String> fatal = log.lines().filter(l -> l.contains("FATAL:") || l.contains("PANIC:")).toList();
        if (fatal.isEmpty()) {
            return Optional.empty();
        }
        String line = fatal.get(fatal.size() - 1);
        return Optional.of(line.substring(line.indexOf(line.contains("FATAL:") ? "FATAL:" : "PANIC:")).strip());
    }

    private static String read(Path log) throws IOException {
        return Files.exists(log) ? Files.readString(log, StandardCharsets.ISO_8859_1) : "";
    }
}
