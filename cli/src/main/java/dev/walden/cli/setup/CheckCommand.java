package dev.walden.cli.setup;

import dev.walden.agent.AgentConfig;
import dev.walden.agent.stream.StreamSettings;
import dev.walden.agent.stream.StreamSlot;
import dev.walden.backup.BackupSettings;
import dev.walden.catalog.AuditLog;
import dev.walden.cli.options.ConfigOption;
import dev.walden.config.ConfigException;
import dev.walden.config.ConfigSource;
import dev.walden.config.Durations;
import dev.walden.db.Database;
import dev.walden.protocol.AgentClient;
import dev.walden.protocol.AgentClientException;
import dev.walden.protocol.Frame;
import dev.walden.protocol.FrameType;
import dev.walden.repo.Json;
import dev.walden.repo.Repository;
import dev.walden.repo.StorageFactory;
import dev.walden.storage.Storage;
import dev.walden.wal.ClusterIdentity;
import dev.walden.wal.WalFileName;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code walden check}: is this cluster really archiving into walden? Checks each link of the
 * chain an operator would otherwise check by hand — the repository, the agent, the database
 * connection, the server's archiving settings — and then proves it end to end: it forces a WAL
 * switch and waits for that file to reach the repository and PostgreSQL to report it archived.
 * With agent.stream on it checks the WAL stream too. Every failed check says how to fix it.
 */
@Command(name = "check", mixinStandardHelpOptions = true,
        description = {"Check that PostgreSQL archives into walden: repository, agent, database connection, "
                + "wal_level, archive_mode, archive_command running walden-push (or archive_library = "
                + "walden_archive with walden.socket); then force a WAL switch and wait for that file to reach the "
                + "repository and PostgreSQL to report it archived.",
                "Warns (without failing) when archive_timeout is 0 or above 5 minutes: a commit on a quiet "
                        + "server then waits that long, or until its WAL segment fills, to reach the repository.",
                "With agent.stream = on, also checks WAL streaming: max_wal_senders, a replication connection, the "
                        + "slot walden_<system id> (there, not invalidated, streamed from), how far the stream is "
                        + "behind, max_slot_wal_keep_size and synchronous_standby_names; with it off, warns about a "
                        + "slot left behind.",
                "Needs a superuser connection (pg_switch_wal, pg_create_restore_point), as walden backup does. "
                        + "Adds an entry to the repository's audit trail (walden audit)."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:every check passed (warnings, if any, are printed)", "1:a check failed (each says how to fix it)",
                "2:bad configuration"})
public final class CheckCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ConfigOption config;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "60s",
            description = "how long to wait for the switched WAL file to be archived (default: ${DEFAULT-VALUE})")
    String timeout;

    @Option(names = "--json", description = "print the checks as JSON (each with result ok, fail or skip, and its "
            + "message) instead of lines")
    boolean json;

    /**
     * The longest archive_timeout that passes: PostgreSQL's docs suggest about a minute; beyond
     * five, a commit on a quiet server may wait longer than most teams would accept to lose.
     */
    static final Duration ARCHIVE_TIMEOUT_LIMIT = Duration.ofMinutes(5);

    private PrintWriter out;
    private int passed;
    private int failed;
    private int warned;
    private final List<Map<String, String>> results = new ArrayList<>();

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter data = spec.commandLine().getOut();
        // with --json the lines for people still go somewhere: stderr
        out = json ? spec.commandLine().getErr() : data;
        PrintWriter err = spec.commandLine().getErr();
        ConfigSource source;
        AgentConfig agentConfig;
        BackupSettings settings;
        Duration wait;
        try {
            source = config.locate();
            agentConfig = AgentConfig.from(source);
            settings = BackupSettings.from(source, System.getenv());
            wait = Durations.parse(timeout);
        } catch (ConfigException | IllegalArgumentException e) {
            err.println("walden check: " + e.getMessage());
            return 2;
        }
        out.println("walden check: " + source.file().map(Object::toString).orElse("configuration from the environment"));
        Instant started = Instant.now();
        Optional<Repository> repository = openRepository(source, agentConfig);
        boolean agent = checkAgent(agentConfig);
        try (Connection c = connect(settings)) {
            boolean server = c != null && checkServer(c, repository, agentConfig.socket());
            if (c != null) {
                checkStream(c, source, settings);
            }
            if (repository.isPresent() && agent && server) {
                checkSwitch(c, repository.get(), wait);
            } else {
                out.println("skip  WAL switch: fix the checks above first");
                results.add(Map.of("result", "skip", "check", "WAL switch: fix the checks above first"));
            }
        } catch (SQLException e) {
            fail("database: " + e.getMessage());
        }
        String summary = (failed == 0 ? "all " + passed + " checks passed"
                : failed + " of " + (passed + failed) + " checks failed")
                + (warned == 0 ? "" : ", " + warned + " warning" + (warned == 1 ? "" : "s"));
        out.println("walden check: " + summary);
        out.flush();
        // the trail lives in the repository: a check that could not open it has nowhere to write
        repository.ifPresent(r -> {
            new AuditLog(r.storage()).tryAppend(AuditLog.entry("check", r.storage().describe(), failed == 0,
                    auditDetail(summary), started, Clock.systemUTC(), "command"), w -> err.println("walden check: " + w));
            close(r.storage());
        });
        if (json) {
            Json.print(data, Map.of("passed", passed, "failed", failed, "warnings", warned, "checks", results));
        }
        return failed == 0 ? 0 : 1;
    }

    /** The summary, then what failed and what was warned about, for the audit trail. */
    private String auditDetail(String summary) {
        List<String> notable = results.stream().filter(r -> !r.get("result").equals("ok"))
                .filter(r -> !r.get("result").equals("skip")).map(r -> r.get("result") + ": " + r.get("check")).toList();
        return notable.isEmpty() ? summary : summary + "; " + String.join("; ", notable);
    }

    private void ok(String what) {
        passed++;
        results.add(Map.of("result", "ok", "check", what));
        out.println("ok    " + what);
        out.flush();
    }

    /** Works, but leaves a risk the operator should know of: printed, not counted as a failure. */
    private void warn(String what) {
        warned++;
        results.add(Map.of("result", "warn", "check", what));
        out.println("WARN  " + what);
        out.flush();
    }

    private void fail(String what) {
        failed++;
        results.add(Map.of("result", "fail", "check", what));
        out.println("FAIL  " + what);
        out.flush();
    }

    /** The repository, or empty (reported) when it can't be opened or belongs to another cluster. */
    private Optional<Repository> openRepository(ConfigSource source, AgentConfig agentConfig) {
        Storage storage = null;
        try {
            storage = StorageFactory.open(source);
            Repository repository = Repository.open(storage);
            ClusterIdentity cluster = ClusterIdentity.read(agentConfig.pgdata(), agentConfig.pgWal());
            repository.checkBelongsTo(cluster);
            ok("repository " + storage.describe() + " belongs to " + cluster);
            return Optional.of(repository);
        } catch (ConfigException | IOException e) {
            fail("repository: " + e.getMessage());
            if (storage != null) {
                close(storage);
            }
            return Optional.empty();
        }
    }

    private static void close(Storage storage) {
        try {
            storage.close();
        } catch (IOException ignored) {
            // nothing left to check with it
        }
    }

    private boolean checkAgent(AgentConfig agentConfig) {
        try {
            Frame reply = new AgentClient(agentConfig.socket(), Duration.ofSeconds(10)).exchange(Frame.of(FrameType.PING));
            if (reply.type() == FrameType.ERROR) {
                fail("agent on " + agentConfig.socket() + " answered with an error");
                return false;
            }
            ok("agent answers on " + agentConfig.socket());
            return true;
        } catch (AgentClientException e) {
            fail("agent: " + e.getMessage() + (e.kind() == AgentClientException.Kind.NOT_RUNNING
                    ? "; start it: walden agent --config FILE (as the PostgreSQL server's user)" : ""));
            return false;
        }
    }

    private Connection connect(BackupSettings settings) {
        try {
            Connection c = Database.connect(settings.connection());
            ok("connected to " + settings.connection().describe());
            return c;
        } catch (SQLException e) {
            fail(e.getMessage()
                    + " (set DATABASE_URL or DB_HOST/DB_PORT/DB_USER in the environment or a .env next to the config)");
            return null;
        }
    }

    private static String query(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        }
    }

    private boolean checkServer(Connection c, Optional<Repository> repository, Path socket) {
        int before = failed;
        try {
            if ("t".equals(query(c, "SELECT pg_is_in_recovery()"))) {
                fail("the server is a standby: run walden check against the primary");
                return false;
            }
            String systemId = query(c, "SELECT system_identifier FROM pg_control_system()");
            if (repository.isPresent()
                    && !systemId.equals(Long.toUnsignedString(repository.get().cluster().systemIdentifier()))) {
                fail("the database connection reaches system " + systemId + ", not the cluster in pgdata (system "
                        + Long.toUnsignedString(repository.get().cluster().systemIdentifier())
                        + "): point the connection at the server of that data directory");
            }
            String walLevel = query(c, "SHOW wal_level");
            if (walLevel.equals("replica") || walLevel.equals("logical")) {
                ok("wal_level = " + walLevel);
            } else {
                fail("wal_level = " + walLevel + ": set wal_level = replica in postgresql.conf and restart PostgreSQL");
            }
            String archiveMode = query(c, "SHOW archive_mode");
            boolean restartPending = "t".equals(query(c,
                    "SELECT pending_restart FROM pg_settings WHERE name = 'archive_mode'"));
            if (archiveMode.equals("off")) {
                fail("archive_mode = off: set archive_mode = on in postgresql.conf and restart PostgreSQL"
                        + (restartPending ? " (a change is already waiting for that restart)" : ""));
            } else if (restartPending) {
                fail("archive_mode = " + archiveMode + ", but a change to it waits for a restart of PostgreSQL");
            } else {
                ok("archive_mode = " + archiveMode);
            }
            String library = query(c, "SELECT setting FROM pg_settings WHERE name = 'archive_library'");
            // reset_val is the value itself: SHOW and setting say "(disabled)" while archive_mode is off
            String command = query(c, "SELECT reset_val FROM pg_settings WHERE name = 'archive_command'");
            if (library != null && isWaldenArchiveModule(library)) {
                // the module is loaded by the archiver only: here walden.socket is a placeholder
                // holding what postgresql.conf says
                String moduleSocket = query(c, "SELECT current_setting('walden.socket', true)");
                if (moduleSocket == null || moduleSocket.isEmpty()) {
                    fail("archive_library = '" + library + "' but walden.socket is not set: add walden.socket = '"
                            + socket + "' to postgresql.conf and reload PostgreSQL");
                } else if (!Path.of(moduleSocket).equals(socket)) {
                    fail("walden.socket = '" + moduleSocket + "' is not this agent's socket: set walden.socket = '"
                            + socket + "' in postgresql.conf and reload PostgreSQL");
                } else {
                    ok("archive_library = '" + library + "', walden.socket = '" + moduleSocket + "'");
                }
            } else if (library != null && !library.isEmpty()) {
                fail("archive_library = '" + library + "' replaces archive_command: set archive_library = "
                        + "'walden_archive' (docs/walden-push.md) or archive_library = '' and "
                        + "archive_command = '.../bin/walden-push %p', then reload");
            } else if (command == null || !command.contains("walden-push")) {
                fail("archive_command = '" + command + "' does not run walden-push: set archive_command = "
                        + "'/opt/walden/bin/walden-push %p' (your installation's path) and reload PostgreSQL");
            } else if (!command.contains("%p")) {
                fail("archive_command = '" + command + "' does not pass %p: walden-push needs the file's path");
            } else {
                ok("archive_command = '" + command + "'");
            }
            checkArchiveTimeout(c);
        } catch (SQLException e) {
            fail("reading the server's settings: " + e.getMessage());
        }
        return failed == before;
    }

    /**
     * The data-loss window on a quiet server: PostgreSQL archives a segment once it is full, or
     * when archive_timeout has passed since the last switch (and something was written), so a
     * commit is in the repository no later than that. 0 means only a full segment is archived.
     */
    private void checkArchiveTimeout(Connection c) throws SQLException {
        long seconds = Long.parseLong(query(c, "SELECT setting FROM pg_settings WHERE name = 'archive_timeout'"));
        String shown = query(c, "SHOW archive_timeout");
        String fix = "set archive_timeout = '1min' (at most '" + ARCHIVE_TIMEOUT_LIMIT.toMinutes() + "min') in "
                + "postgresql.conf and reload PostgreSQL";
        if (seconds == 0) {
            warn("archive_timeout = 0: a commit on a quiet server reaches the repository only once its "
                    + query(c, "SHOW wal_segment_size") + " WAL segment is full, which may take hours; " + fix);
        } else if (seconds > ARCHIVE_TIMEOUT_LIMIT.toSeconds()) {
            warn("archive_timeout = " + shown + ": a commit on a quiet server may wait " + shown + " to reach the "
                    + "repository; " + fix);
        } else {
            ok("archive_timeout = " + shown + ": a commit reaches the repository within about " + shown);
        }
    }

    /**
     * WAL streaming (agent.stream): the server lets walden replicate, the slot is there and not
     * invalidated, the agent streams from it and how far behind, and synchronous_standby_names
     * agrees with agent.stream.synchronous. With streaming off, a slot left behind is a warning:
     * it keeps WAL on the server for nobody.
     */
    private void checkStream(Connection c, ConfigSource source, BackupSettings settings) {
        try {
            boolean on = StreamSettings.enabled(source);
            String slot = StreamSettings.slotName(Long.parseUnsignedLong(
                    query(c, "SELECT system_identifier::text FROM pg_control_system()")));
            Optional<StreamSlot.Info> info = StreamSlot.inspect(c, slot);
            if (!on) {
                info.ifPresent(i -> warn("replication slot " + slot + " exists but agent.stream = off: it keeps "
                        + retained(i) + " of WAL on the server for nobody; drop it with 'walden agent --drop-slot'"));
                return;
            }
            int senders = Integer.parseInt(query(c, "SHOW max_wal_senders"));
            if (senders == 0) {
                fail("max_wal_senders = 0: agent.stream needs one; set max_wal_senders = 10 in postgresql.conf and "
                        + "restart PostgreSQL");
            }
            try (Connection replication = Database.connectForReplication(settings.connection(), Duration.ofSeconds(30));
                 Statement st = replication.createStatement(); ResultSet rs = st.executeQuery("IDENTIFY_SYSTEM")) {
                rs.next();
                ok("replication connection as " + settings.connection().user() + " (timeline " + rs.getInt(2) + ")");
            } catch (SQLException e) {
                fail("replication connection: " + e.getMessage() + "; agent.stream needs a 'replication' line for "
                        + settings.connection().user() + " in pg_hba.conf and the REPLICATION attribute");
            }
            String keep = query(c, "SHOW max_slot_wal_keep_size");
            if (keep.equals("-1")) {
                warn("max_slot_wal_keep_size = -1: if the agent stops streaming, its slot keeps WAL until pg_wal "
                        + "fills the disk; set a limit (e.g. '50GB') in postgresql.conf and reload");
            }
            if (info.isEmpty()) {
                warn("replication slot " + slot + " does not exist yet: the agent makes it when it starts streaming");
            } else if (info.get().lost()) {
                fail("replication slot " + slot + " was invalidated (max_slot_wal_keep_size); a running agent makes "
                        + "it again, or restart the agent");
            } else if (info.get().activePid() == 0) {
                fail("no agent streams from replication slot " + slot + " (it keeps " + retained(info.get())
                        + " of WAL): is the agent running with agent.stream = on?");
            } else {
                try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
                        "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), flush_lsn)::bigint, "
                                + "coalesce(extract(epoch FROM flush_lag), 0)::float8, sync_state "
                                + "FROM pg_stat_replication WHERE pid = " + info.get().activePid())) {
                    if (rs.next()) {
                        ok("streaming through slot " + slot + ": " + dev.walden.console.Sizes.bytes(rs.getLong(1))
                                + " not yet stored, flush lag %.1f s, %s".formatted(rs.getDouble(2), rs.getString(3)));
                    }
                }
            }
            String standbys = query(c, "SHOW synchronous_standby_names");
            boolean named = java.util.regex.Pattern.compile("(?i)(^|[^a-z0-9_])\"?" + StreamSettings.APPLICATION_NAME
                    + "\"?($|[^a-z0-9_])").matcher(standbys).find();
            boolean synchronous = source.bool(dev.walden.config.ConfigKeys.AGENT_STREAM_SYNCHRONOUS);
            if (synchronous && !named) {
                warn("agent.stream.synchronous = on but synchronous_standby_names = '" + standbys + "' does not name "
                        + StreamSettings.APPLICATION_NAME + ": commits do not wait for the repository; set "
                        + "synchronous_standby_names = '" + StreamSettings.APPLICATION_NAME + "' and reload");
            } else if (!synchronous && named) {
                warn("synchronous_standby_names names " + StreamSettings.APPLICATION_NAME + " but agent.stream."
                        + "synchronous = off: each commit waits up to agent.stream.flush for the agent");
            }
        } catch (SQLException | ConfigException | RuntimeException e) {
            fail("WAL streaming: " + e.getMessage());
        }
    }

    private static String retained(StreamSlot.Info info) {
        return info.retainedBytes() < 0 ? "an unknown amount" : dev.walden.console.Sizes.bytes(info.retainedBytes());
    }

    /** 'walden_archive', '$libdir/walden_archive' or '/opt/walden/lib/postgresql/15/walden_archive.so'. */
    static boolean isWaldenArchiveModule(String library) {
        String name = library.substring(library.lastIndexOf('/') + 1);
        return name.equals("walden_archive") || name.equals("walden_archive.so");
    }

    /**
     * Forces a WAL switch and waits until the finished file is in the repository AND PostgreSQL
     * reports it archived. The repository alone proves nothing about archive_command: with
     * look-ahead the agent stores each file PostgreSQL marks ready before the archiver runs
     * walden-push for it, so a broken archive_command (a wrong path, say) would still fill the
     * repository while pg_wal grows. A restore point first guarantees there is WAL to switch away
     * from: pg_switch_wal does nothing on an idle server that has just switched.
     */
    private void checkSwitch(Connection c, Repository repository, Duration wait) throws InterruptedException {
        WalFileName name;
        long failedBefore;
        try {
            failedBefore = Long.parseLong(query(c, "SELECT failed_count FROM pg_stat_archiver"));
            query(c, "SELECT pg_create_restore_point('walden check')");
            name = WalFileName.parse(query(c, "SELECT pg_walfile_name(pg_switch_wal())"));
        } catch (SQLException e) {
            fail("forcing a WAL switch: " + e.getMessage() + " (walden check needs a superuser connection)");
            return;
        }
        long started = System.nanoTime();
        long deadline = started + wait.toNanos();
        boolean stored = false;
        boolean reported = false;
        while (true) {
            try {
                stored = stored || repository.wal().find(name).isPresent();
                reported = reported || archivedByPostgres(c, name);
            } catch (IOException e) {
                fail("looking for WAL " + name + " in the repository: " + e.getMessage());
                return;
            } catch (SQLException e) {
                fail("reading pg_stat_archiver: " + e.getMessage());
                return;
            }
            if (stored && reported) {
                ok("WAL " + name + " switched and archived in %.1f s".formatted((System.nanoTime() - started) / 1e9));
                return;
            }
            if (System.nanoTime() > deadline) {
                break;
            }
            Thread.sleep(200);
        }
        String why = "";
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                "SELECT failed_count, last_failed_wal, last_archived_wal FROM pg_stat_archiver")) {
            rs.next();
            long failures = rs.getLong(1) - failedBefore;
            why = failures > 0 ? "; PostgreSQL's archive_command failed " + failures + " time(s) meanwhile, last for "
                    + rs.getString(2) + ": PostgreSQL's log has walden-push's message"
                    : "; PostgreSQL last archived " + rs.getString(3) + " and reports no failure: is the archiver "
                    + "behind a backlog? (SELECT * FROM pg_stat_archiver; walden status)";
        } catch (SQLException e) {
            why = "; pg_stat_archiver could not be read: " + e.getMessage();
        }
        fail(stored ? "WAL " + name + " reached the repository (the agent stored it ahead), but PostgreSQL did not "
                + "report it archived within " + Durations.format(wait) + why
                : "WAL " + name + " did not reach the repository within " + Durations.format(wait) + why);
    }

    /**
     * Whether PostgreSQL's archiver reports {@code name} or a later file of the same or a later
     * timeline archived: the archiver goes oldest first, and names sort in that order (a
     * {@code .backup} or {@code .partial} suffix after the segment's 24 characters is ignored).
     */
    private static boolean archivedByPostgres(Connection c, WalFileName name) throws SQLException {
        String last = query(c, "SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver");
        return last.length() >= 24 && last.substring(0, 24).compareTo(name.toString()) >= 0;
    }
}
