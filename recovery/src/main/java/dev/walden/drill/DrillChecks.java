package dev.walden.drill;

import dev.walden.catalog.DrillLog.Check;
import dev.walden.db.ConnectionSettings;
import dev.walden.db.Database;
import dev.walden.recovery.PointInTimeRecovery;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * What a drill asks of its restored, promoted copy: that it accepts connections, that every
 * database opens, that pg_amcheck finds no corruption (as much as {@code drill.amcheck} says), and
 * that each of the operator's queries returns true. Each check's result is recorded; a check that
 * cannot run here (no pg_amcheck) is skipped with the reason, never counted as passed.
 */
final class DrillChecks {
    /** Longest one of the operator's queries may run. */
    private static final Duration QUERY_TIMEOUT = Duration.ofMinutes(5);

    private final DrillSettings settings;
    private final ConnectionSettings production;
    private final Duration timeout;
    private final PrintWriter out;

    /**
     * @param production the connection settings of production: their user and database are the
     *     copy's too
     * @param timeout longest pg_amcheck may take, all databases together
     */
    DrillChecks(DrillSettings settings, ConnectionSettings production, Duration timeout, PrintWriter out) {
        this.settings = settings;
        this.production = production;
        this.timeout = timeout;
        this.out = out;
    }

    List<Check> run(PointInTimeRecovery.Recovered copy) throws InterruptedException {
        List<Check> checks = new ArrayList<>();
        Optional<String> superuser = Optional.empty();
        SQLException refused = null;
        for (ConnectionSettings login : PointInTimeRecovery.logins(production, copy.socketDirectory(), copy.port())) {
            try (Connection c = Database.connect(login, Duration.ofSeconds(30)); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT rolname FROM pg_roles WHERE oid = 10")) {
                rs.next();
                superuser = Optional.of(rs.getString(1));
                checks.add(Check.ok("connect", "accepts connections (as " + login.user() + ")"));
                break;
            } catch (SQLException e) {
                refused = refused == null ? e : refused;
            }
        }
        if (superuser.isEmpty()) {
            checks.add(Check.failed("connect", "the copy refused every login: "
                    + (refused == null ? "no way to log in" : refused.getMessage())));
            report(checks);
            return checks;
        }
        report(checks);
        // the copy trusts its private socket: the bootstrap superuser runs everything that follows
        Login as = new Login(copy.socketDirectory(), copy.port(), superuser.get());
        List<String> databases = new ArrayList<>();
        checks.add(databases(as, databases));
        report(checks);
        checks.add(amcheck(copy.bin(), as, databases));
        report(checks);
        if (settings.checks().isPresent()) {
            for (Check check : operatorChecks(settings.checks().get(), as)) {
                checks.add(check);
                report(checks);
            }
        }
        return checks;
    }

    private void report(List<Check> checks) {
        Check last = checks.get(checks.size() - 1);
        out.printf("check %s: %s%s%n", last.name(), last.result(), last.detail() == null ? "" : " (" + last.detail() + ")");
        out.flush();
    }

    /** Every database that takes connections is listed and opens. */
    private static Check databases(Login as, List<String> found) {
        try (Connection c = Database.connect(as.to("template1"), Duration.ofSeconds(30)); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT datname FROM pg_database WHERE datallowconn ORDER BY datname")) {
            while (rs.next()) {
                found.add(rs.getString(1));
            }
        } catch (SQLException e) {
            return Check.failed("databases", "could not list the databases: " + e.getMessage());
        }
        for (String database : found) {
            try (Connection c = Database.connect(as.to(database), Duration.ofSeconds(30));
                 Statement s = c.createStatement()) {
                s.execute("SELECT count(*) FROM pg_class");
            } catch (SQLException e) {
                return Check.failed("databases", "database " + database + " does not open: " + e.getMessage());
            }
        }
        return Check.ok("databases", found.size() + " open: " + String.join(", ", found));
    }

    private Check amcheck(Path bin, Login as, List<String> databases) throws InterruptedException {
        String name = "amcheck";
        if (settings.amcheck() == DrillSettings.Amcheck.OFF) {
            return Check.skipped(name, "drill.amcheck = off");
        }
        Path program = bin.resolve("pg_amcheck");
        if (!Files.isExecutable(program)) {
            return Check.skipped(name, "pg_amcheck is not installed in " + bin + " (PostgreSQL 14+ contrib programs)");
        }
        try (Connection c = Database.connect(as.to("template1"), Duration.ofSeconds(30)); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_available_extensions WHERE name = 'amcheck'")) {
            rs.next();
            if (rs.getInt(1) == 0) {
                return Check.skipped(name, "the amcheck extension is not installed with this server (contrib)");
            }
        } catch (SQLException e) {
            return Check.failed(name, "could not ask for the amcheck extension: " + e.getMessage());
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        int relations = 0;
        List<List<String>> runs = new ArrayList<>();
        if (settings.amcheck() == DrillSettings.Amcheck.ALL) {
            runs.add(List.of("--all"));
        } else {
            for (String database : databases) {
                List<String> args = new ArrayList<>(List.of("--database", quote(database)));
                try {
                    for (String table : largestTables(as, database)) {
                        args.add("--table");
                        args.add(table);
                        relations++;
                    }
                } catch (SQLException e) {
                    return Check.failed(name, "could not list the tables of " + database + ": " + e.getMessage());
                }
                runs.add(args);
            }
        }
        for (List<String> run : runs) {
            List<String> command = new ArrayList<>(List.of(program.toString(), "--host", as.socket().toString(),
                    "--port", Integer.toString(as.port()), "--username", as.role(), "--install-missing",
                    "--no-password"));
            command.addAll(run);
            Optional<String> problem = runAmcheck(command, deadline);
            if (problem.isPresent()) {
                return Check.failed(name, problem.get());
            }
        }
        return Check.ok(name, settings.amcheck() == DrillSettings.Amcheck.ALL ? "every relation of every database"
                : relations + " tables (the " + DrillSettings.Amcheck.SAMPLE_TABLES
                + " largest of each database) and their indexes");
    }

    /** Empty when pg_amcheck found nothing; else its first lines, or why it could not finish. */
    private static Optional<String> runAmcheck(List<String> command, long deadline)
            throws InterruptedException {
        try {
            Path output = Files.createTempFile("walden-amcheck-", ".out");
            try {
                Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile())
                        .start();
                long left = Math.max(1, deadline - System.nanoTime());
                if (!p.waitFor(left, TimeUnit.NANOSECONDS)) {
                    p.destroyForcibly();
                    p.waitFor(10, TimeUnit.SECONDS);
                    return Optional.of("pg_amcheck did not finish in time");
                }
                if (p.exitValue() == 0) {
                    return Optional.empty();
                }
                List<String> lines = Files.readAllLines(output, StandardCharsets.UTF_8);
                return Optional.of("pg_amcheck exited with " + p.exitValue() + ": "
                        + String.join(" / ", lines.subList(0, Math.min(5, lines.size()))));
            } finally {
                Files.deleteIfExists(output);
            }
        } catch (IOException e) {
            return Optional.of("could not run pg_amcheck: " + e.getMessage());
        }
    }

    /** The largest tables of {@code database} as pg_amcheck patterns, quoted as identifiers. */
    private static List<String> largestTables(Login as, String database) throws SQLException {
        List<String> tables = new ArrayList<>();
        try (Connection c = Database.connect(as.to(database), Duration.ofSeconds(30)); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n "
                     + "ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'm') AND c.relpersistence = 'p' "
                     + "ORDER BY pg_relation_size(c.oid) DESC, c.oid LIMIT " + DrillSettings.Amcheck.SAMPLE_TABLES)) {
            while (rs.next()) {
                tables.add(quote(rs.getString(1)) + "." + quote(rs.getString(2)));
            }
        }
        return tables;
    }

    private static String quote(String identifier) {
        return '"' + identifier.replace("\"", "\"\"") + '"';
    }

    /**
     * The operator's queries: one per line ({@code --} comments and blank lines skipped, a final
     * {@code ;} allowed), run in production's database, each of which must return one row whose
     * first column is true.
     */
    private List<Check> operatorChecks(Path file, Login as) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return List.of(Check.failed("drill.checks", "cannot read " + file + ": " + e.getMessage()));
        }
        List<Check> checks = new ArrayList<>();
        for (String line : lines) {
            String query = line.strip();
            if (query.isEmpty() || query.startsWith("--")) {
                continue;
            }
            if (query.endsWith(";")) {
                query = query.substring(0, query.length() - 1).strip();
            }
            String name = "sql: " + (query.length() > 80 ? query.substring(0, 77) + "..." : query);
            try (Connection c = Database.connect(as.to(production.database()), Duration.ofSeconds(30));
                 Statement s = c.createStatement()) {
                s.setQueryTimeout((int) QUERY_TIMEOUT.toSeconds());
                try (ResultSet rs = s.executeQuery(query)) {
                    if (!rs.next()) {
                        checks.add(Check.failed(name, "returned no row"));
                    } else if (rs.getBoolean(1) && !rs.wasNull()) {
                        checks.add(Check.ok(name, null));
                    } else {
                        checks.add(Check.failed(name, "returned " + rs.getString(1)));
                    }
                }
            } catch (SQLException e) {
                checks.add(Check.failed(name, e.getMessage()));
            }
        }
        if (checks.isEmpty()) {
            checks.add(Check.skipped("drill.checks", file + " holds no query"));
        }
        return checks;
    }

    /** The bootstrap superuser over the copy's private socket, which trusts it. */
    private record Login(Path socket, int port, String role) {
        ConnectionSettings to(String database) {
            return ConnectionSettings.resolve(Map.of("PGHOST", socket.toString(), "PGPORT", Integer.toString(port),
                    "PGUSER", role, "PGDATABASE", database), Map.of(), role);
        }
    }
}
