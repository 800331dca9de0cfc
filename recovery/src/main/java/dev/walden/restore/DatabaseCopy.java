package dev.walden.restore;

import dev.walden.backup.BackupSettings;
import dev.walden.config.ConfigException;
import dev.walden.config.ConfigSource;
import dev.walden.console.Shell;
import dev.walden.db.ConnectionSettings;
import dev.walden.postgres.StderrTail;
import dev.walden.recovery.PointInTimeRecovery;
import dev.walden.recovery.RecoveryReport;
import dev.walden.recovery.RefusedException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * {@code walden recover … --into-database NAME}: one database as it was at a point in time,
 * copied into a new database on the production server. The cluster is recovered into a private
 * throwaway copy (no TCP, its socket in a directory only this user can enter), the database is
 * dumped from it with its own major's pg_dump as its bootstrap superuser, restored through
 * {@link LogicalRestore} (verified, loaded under a working name, counted, renamed), and the copy
 * is stopped and removed whatever happened.
 */
public final class DatabaseCopy {
    private final ConfigSource config;
    private final PrintWriter out;

    public DatabaseCopy(ConfigSource config, PrintWriter out) {
        this.config = config;
        this.out = out;
    }

    /**
     * @param database the database to copy; empty for the configured one
     * @param into the new database on production
     * @param replace -D: an existing {@code into} may be replaced
     * @param force -f: without asking
     * @return the exit code
     */
    public int copy(PointInTimeRecovery.Request request, Optional<String> database, String into, boolean replace,
                    boolean force) throws IOException, ConfigException, InterruptedException {
        BackupSettings settings = BackupSettings.from(config, System.getenv());
        ConnectionSettings production = settings.connection();
        String source = database.orElse(production.database());
        LogicalRestore restore = new LogicalRestore(production, new LogicalRestore.Options(settings.pgBin(),
                Path.of(System.getProperty("java.io.tmpdir")), 1), out);
        // refusals first, before a cluster is recovered for nothing
        LogicalRestore.Plan plan = restore.check(source, "being recovered", into, replace, "--into-database");
        if (plan.replaces() && !force && !ReplaceConfirmation.ask(into, out)) {
            throw new RefusedException("not confirmed; database '" + into + "' is unchanged (-f replaces without "
                    + "asking)");
        }
        long began = System.nanoTime();
        PointInTimeRecovery.Recovered recovered = new PointInTimeRecovery(config, out).recover(request);
        Path dump = null;
        try {
            RecoveryReport.print(recovered, request, out);
            dump = Files.createTempFile(recovered.pgdata().getParent(), "walden-copy-", ".dump",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            out.printf("copying database '%s' out of the recovered cluster%n", source);
            out.flush();
            dumpFrom(recovered, source, dump, production.user());
            try (LogicalRestore.Verified verified = restore.verify(DumpSource.customFile(dump, source), true)) {
                out.printf("restoring into '%s' on %s%n", into, production.withDatabase(into));
                out.flush();
                LogicalRestore.Result result = restore.restore(verified, plan);
                out.printf("copied database '%s' as of %s into '%s': %d table(s), %d row(s) in %d table(s) match%n",
                        source, request.target().describe(), result.database(), result.tablesRestored(),
                        result.rowsCompared(), result.tablesCounted());
            }
        } finally {
            if (dump != null) {
                Files.deleteIfExists(dump);
            }
            recovered.remove();
            out.println("removed the recovered cluster " + recovered.pgdata());
        }
        out.printf("took %.1f s%n", (System.nanoTime() - began) / 1e9);
        out.printf("connect: psql %s%n", Shell.quote(production.withDatabase(into).displayUrl()));
        return 0;
    }

    /** pg_dump -Fc of one database of the recovered cluster, as its bootstrap superuser, so nothing is unreadable. */
    private static void dumpFrom(PointInTimeRecovery.Recovered recovered, String database, Path file, String user)
            throws IOException, InterruptedException {
        String superuser = bootstrapSuperuser(recovered, database, user);
        Process process = new ProcessBuilder(recovered.bin().resolve("pg_dump").toString(), "--format=custom",
                "--no-password", "--file=" + file, "--host=" + recovered.socketDirectory(),
                "--port=" + recovered.port(), "--username=" + superuser, "--dbname=" + dbname(database))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        StderrTail stderr = new StderrTail(process.getErrorStream());
        if (!process.waitFor(24, TimeUnit.HOURS)) {
            process.destroyForcibly();
            throw new IOException("pg_dump of the recovered '" + database + "' did not finish within 24 h");
        }
        if (process.exitValue() != 0) {
            throw new IOException("pg_dump of the recovered '" + database + "' failed: " + stderr.message());
        }
    }

    private static String dbname(String database) {
        return "dbname=" + dev.walden.db.Sql.conninfoValue(database);
    }

    /** The role with OID 10, whatever it is called on this cluster; trust on the private socket lets walden in. */
    private static String bootstrapSuperuser(PointInTimeRecovery.Recovered recovered, String database,
                                             String productionUser) throws IOException {
        Properties props = new Properties();
        props.setProperty("socketFactory", dev.walden.db.UnixSocketFactory.class.getName());
        props.setProperty("socketFactoryArg", recovered.socketDirectory().toString());
        props.setProperty("sslmode", "disable");
        props.setProperty("gssEncMode", "disable");
        props.setProperty("ApplicationName", "walden");
        String url = "jdbc:postgresql://localhost:" + recovered.port() + "/"
                + java.net.URLEncoder.encode(database, java.nio.charset.StandardCharsets.UTF_8);
        // any existing role gets in (trust): production's user exists in a copy of production
        SQLException last = null;
        for (String user : new String[] {productionUser, System.getProperty("user.name"), "postgres"}) {
            props.setProperty("user", user);
            try (Connection c = DriverManager.getConnection(url, props); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT rolname FROM pg_roles WHERE oid = 10")) {
                rs.next();
                return rs.getString(1);
            } catch (SQLException e) {
                last = e;
            }
        }
        throw new IOException("can't connect to database '" + database + "' of the recovered cluster: "
                + last.getMessage(), last);
    }
}
