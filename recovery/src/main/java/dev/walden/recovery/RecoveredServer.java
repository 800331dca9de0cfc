package dev.walden.recovery;

import dev.walden.db.ConnectionSettings;
import dev.walden.db.Database;
import dev.walden.postgres.LocalCluster;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
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
 * log rather than connecting works whatever pg_hba.conf the backup brought along; what was
 * replayed is then asked of the server itself, since its log says it only when redo ends.
 */
public final class RecoveredServer {
    private static final Pattern STOPPING = Pattern.compile("recovery stopping (.*)");
    private static final Pattern LAST_XACT = Pattern.compile("last completed transaction was at log time (.*)");
    private static final Pattern REDO_DONE = Pattern.compile("redo done at ([0-9A-F]+/[0-9A-F]+)");
    private static final Pattern NEW_TIMELINE = Pattern.compile("selected new timeline ID: (\\d+)");
    private static final Pattern RESTORED = Pattern.compile("restored log file \"([0-9A-F]{24})\" from archive");

    /**
     * Where recovery ended and in which state the server is.
     *
     * @param replayed what the server says it replayed; empty when it is shut down
     * @param consistentAt when its log first said it reached a consistent state (to the log's
     *     polling interval, 200 ms); empty when the log never said so
     */
    public record Outcome(String state, Optional<String> stoppedAt, Optional<Replayed> replayed,
                          Optional<Integer> timeline, Optional<java.time.Instant> consistentAt) {
    }

    /**
     * The server's own answer: {@code pg_last_wal_replay_lsn()} and
     * {@code pg_last_xact_replay_timestamp()} (empty when no transaction was replayed), or, when it
     * could not be asked, why not.
     */
    public record Replayed(Optional<String> lsn, Optional<String> lastTransaction, Optional<String> unknownBecause) {
        static Replayed unknown(String why) {
            return new Replayed(Optional.empty(), Optional.empty(), Optional.of(why));
        }
    }

    private RecoveredServer() {
    }

    /**
     * Appends the recovery settings to postgresql.auto.conf (which wins over postgresql.conf) and
     * creates recovery.signal. Nothing is set to archive with: a recovered cluster must never
     * write into the production repository.
     *
     * @param privateCopy a throwaway copy only walden reads from: no TCP at all, and any role may
     *     connect without a password over its socket, whose directory is private to this user
     */
    static void configure(Path pgdata, int port, Path socketDir, String restoreCommand, Map<String, String> target,
                          String timeline, RecoveryTarget.Action action, int major, boolean privateCopy)
            throws IOException {
        configure(pgdata, port, socketDir, restoreCommand, target, timeline, action, major, privateCopy,
                Optional.empty(), Optional.empty());
    }

    /**
     * As above; with {@code standby}, the copy is a streaming standby of production instead:
     * {@code standby.signal}, {@code primary_conninfo} and the slot, no recovery target, and
     * archiving off (or {@code always}, with {@code archiveCommand}).
     */
    static void configure(Path pgdata, int port, Path socketDir, String restoreCommand, Map<String, String> target,
                          String timeline, RecoveryTarget.Action action, int major, boolean privateCopy,
                          Optional<StandbySettings> standby, Optional<String> archiveCommand) throws IOException {
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
        if (privateCopy) {
            // a throwaway copy on production's host: production's memory settings are not its to take
            // (max_connections and the like stay: hot standby needs them at least as high as production's)
            setting(conf, "shared_buffers", "128MB");
            setting(conf, "huge_pages", "off");
        }
        setting(conf, "logging_collector", "off");
        // archive_mode on with nothing to archive with: the copy archives nowhere, and PostgreSQL
        // keeps every WAL file it completes (the new timeline's history file first) marked .ready
        // until archiving is configured. Making the copy production is then setting
        // archive_command and reloading: no WAL written in between can be missed.
        boolean archiveAlways = standby.map(StandbySettings::archiveAlways).orElse(false);
        setting(conf, "archive_mode", standby.isEmpty() ? "on" : archiveAlways ? "always" : "off");
        setting(conf, "archive_command", archiveAlways ? archiveCommand.orElseThrow() : "");
        if (major >= 15) {
            setting(conf, "archive_library", "");
        }
        setting(conf, "primary_conninfo", standby.map(StandbySettings::primaryConninfo).orElse(""));
        setting(conf, "primary_slot_name", standby.flatMap(StandbySettings::slot).orElse(""));
        setting(conf, "hot_standby", "on");
        conf.append("restore_command = ").append(LocalCluster.quote(restoreCommand)).append('\n');
        target.forEach((k, v) -> setting(conf, k, v));
        setting(conf, "recovery_target_timeline", timeline);
        if (standby.isEmpty()) {
            setting(conf, "recovery_target_action", action.setting());
        }
        Files.writeString(pgdata.resolve("postgresql.auto.conf"), conf, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);
        Files.deleteIfExists(pgdata.resolve(standby.isEmpty() ? "standby.signal" : "recovery.signal"));
        Files.writeString(pgdata.resolve(standby.isEmpty() ? "recovery.signal" : "standby.signal"), "");
    }

    private static void setting(StringBuilder conf, String key, String value) {
        conf.append(key).append(" = ").append(LocalCluster.quote(value)).append('\n');
    }

    /**
     * Starts the server and follows its log until the target is reached, the server fails, or time
     * runs out.
     *
     * @param logins how to ask the server what it replayed, tried in order
     */
    static Outcome startAndWait(Path bin, Path pgdata, Path log, RecoveryTarget.Action action, Duration timeout,
                                Map<String, String> waldenEnvironment, List<ConnectionSettings> logins, PrintWriter out)
            throws IOException, InterruptedException {
        return startAndWait(bin, pgdata, log, action, false, timeout, waldenEnvironment, logins, out);
    }

    /**
     * As above; a {@code standby} is done once it accepts read-only connections (consistent, and
     * from then on replaying what the primary streams or the archive holds).
     */
    static Outcome startAndWait(Path bin, Path pgdata, Path log, RecoveryTarget.Action action, boolean standby,
                                Duration timeout, Map<String, String> waldenEnvironment,
                                List<ConnectionSettings> logins, PrintWriter out)
            throws IOException, InterruptedException {
        // a log left by an earlier run must not be read as this one's
        long logStart = Files.exists(log) ? Files.size(log) : 0;
        ProcessBuilder builder = new ProcessBuilder(bin.resolve("pg_ctl").toString(), "-D", pgdata.toString(), "-l",
                log.toString(), "-W", "start").redirectErrorStream(true);
        // restore_command may run walden fetch: it must read the configuration this recovery read
        builder.environment().keySet().removeIf(k -> k.startsWith("WALDEN_"));
        builder.environment().putAll(waldenEnvironment);
        Process start = builder.start();
        String startOutput = new String(start.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        if (!start.waitFor(60, TimeUnit.SECONDS) || start.exitValue() != 0) {
            throw new IOException("pg_ctl start failed: " + startOutput + lastFatal(read(log, logStart))
                    .map(f -> ": " + f).orElse(""));
        }
        long started = System.nanoTime();
        long deadline = started + timeout.toNanos();
        String lastRestored = null;
        long lastReport = 0;
        java.time.Instant consistentAt = null;
        while (true) {
            String text = read(log, logStart);
            if (consistentAt == null && text.contains("consistent recovery state reached")) {
                consistentAt = java.time.Instant.now();
            }
            if (standby && text.contains("database system is ready to accept read-only connections")) {
                // streaming begins once the archive has nothing newer: give it a moment to say so
                for (int i = 0; i < 10 && !read(log, logStart).contains("started streaming WAL"); i++) {
                    Thread.sleep(200);
                }
                String state = read(log, logStart).contains("started streaming WAL")
                        ? "standby: streaming from the primary"
                        : "standby: read-only, replaying from the archive; streaming has not started yet (see the log)";
                return new Outcome(state, Optional.empty(), Optional.of(ask(logins)), Optional.empty(),
                        Optional.ofNullable(consistentAt));
            }
            boolean done = !standby && switch (action) {
                case PROMOTE -> text.contains("archive recovery complete")
                        && text.lastIndexOf("database system is ready to accept connections")
                        > text.indexOf("archive recovery complete");
                case PAUSE -> text.contains("pausing at the end of recovery") || text.contains("recovery has paused");
                case SHUTDOWN -> text.contains("shutdown at recovery target") && text.contains("database system is shut down");
            };
            if (done) {
                return outcome(text, action, logins, Optional.ofNullable(consistentAt));
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

    /** Whether a server runs in {@code pgdata}: its postmaster.pid names a live process. */
    static boolean running(Path pgdata) {
        try {
            List<String> pid = Files.readAllLines(pgdata.resolve("postmaster.pid"));
            return !pid.isEmpty() && ProcessHandle.of(Long.parseLong(pid.get(0).strip())).map(ProcessHandle::isAlive)
                    .orElse(false);
        } catch (IOException | NumberFormatException e) {
            return false;
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

    private static Outcome outcome(String log, RecoveryTarget.Action action, List<ConnectionSettings> logins,
                                   Optional<java.time.Instant> consistentAt) {
        String state = switch (action) {
            case PROMOTE -> "promoted: open for reads and writes";
            case PAUSE -> "paused at the target: open for reads; SELECT pg_wal_replay_resume() promotes it";
            case SHUTDOWN -> "shut down at the target";
        };
        Optional<Replayed> replayed = switch (action) {
            case SHUTDOWN -> Optional.empty(); // nobody to ask; its log names no position short of the end of redo
            case PAUSE -> Optional.of(ask(logins));
            case PROMOTE -> {
                Replayed asked = ask(logins);
                // redo ended, so the log says it too (where the last record starts, and its commit time)
                yield Optional.of(asked.unknownBecause().isEmpty() || last(REDO_DONE, log).isEmpty() ? asked
                        : new Replayed(last(REDO_DONE, log), last(LAST_XACT, log), Optional.empty()));
            }
        };
        return new Outcome(state, last(STOPPING, log), replayed, last(NEW_TIMELINE, log).map(Integer::parseInt),
                consistentAt);
    }

    /** Asks the running server what it replayed, as the first of {@code logins} that gets in. */
    static Replayed ask(List<ConnectionSettings> logins) {
        SQLException first = null;
        for (ConnectionSettings login : logins) {
            try (Connection c = Database.connect(login, Duration.ofSeconds(10)); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT pg_last_wal_replay_lsn()::text, "
                         + "pg_last_xact_replay_timestamp()::text")) {
                rs.next();
                return new Replayed(Optional.ofNullable(rs.getString(1)), Optional.ofNullable(rs.getString(2)),
                        Optional.empty());
            } catch (SQLException e) {
                first = first == null ? e : first;
            }
        }
        return Replayed.unknown(first == null ? "no way to log in" : first.getMessage());
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

    /** The log from byte {@code from} on (ISO-8859-1: one char per byte, whatever the server's encoding). */
    private static String read(Path log, long from) throws IOException {
        if (!Files.exists(log)) {
            return "";
        }
        String text = Files.readString(log, StandardCharsets.ISO_8859_1);
        return from >= text.length() ? "" : text.substring((int) from);
    }
}
