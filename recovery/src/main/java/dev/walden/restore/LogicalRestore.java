package dev.walden.restore;

import dev.walden.console.ProgressBar;
import dev.walden.db.ConnectionSettings;
import dev.walden.db.Database;
import dev.walden.db.Sql;
import dev.walden.dump.DumpFormat;
import dev.walden.postgres.PgProgram;
import dev.walden.postgres.StderrTail;
import dev.walden.recovery.RefusedException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Restores a logical dump into a new database on the configured server, the way the "safe
 * restore" script walden replaces did, and safer:
 * <ol>
 *   <li>{@link #verify}: the whole dump is read first (checksum, the closing "dump complete" line,
 *       for the custom format pg_restore reading it back), counting its tables and rows, before
 *       anything is created;</li>
 *   <li>{@link #check}: the target is never the dump's own database, a template or the maintenance
 *       database {@code postgres}; an existing one is replaced only when asked and when nobody is
 *       connected to it;</li>
 *   <li>{@link #restore}: the dump loads into a working database ({@code <target>_walden_restoring})
 *       with psql ({@code ON_ERROR_STOP}) or pg_restore ({@code --exit-on-error}); its tables and
 *       row counts are compared with the dump's; only then is it renamed to the target (an existing
 *       target is dropped at that moment, not before). A failure drops the working database, so
 *       nothing half-restored ever carries the target's name.</li>
 * </ol>
 * Passwords reach psql and pg_restore in their environment only.
 */
public final class LogicalRestore {
    /** Tables bigger than this are not counted after the restore: a count would cost a full scan. */
    static final long COUNT_LIMIT_BYTES = 1L << 30;
    private static final String WORKING_SUFFIX = "_walden_restoring";
    private static final String OLD_SUFFIX = "_walden_replaced";
    private static final String MAINTENANCE_DATABASE = "postgres";

    /**
     * @param pgBin where psql and pg_restore are (else the PATH)
     * @param spoolDirectory where a custom-format dump is unpacked for pg_restore, which needs a seekable file
     * @param jobs pg_restore's parallel jobs for custom-format dumps
     */
    public record Options(Optional<Path> pgBin, Path spoolDirectory, int jobs) {
    }

    /**
     * A dump read in full: what it holds, and for the custom format the file pg_restore will read
     * ({@code ownsSpool}: a copy made for it, removed on close).
     */
    public record Verified(DumpSource source, DumpContents contents, Optional<Path> spool, boolean ownsSpool)
            implements AutoCloseable {
        @Override
        public void close() throws IOException {
            if (ownsSpool && spool.isPresent()) {
                Files.deleteIfExists(spool.get());
            }
        }
    }

    /** Where the dump goes: {@code replaces} when an existing database of that name will be dropped. */
    public record Plan(String target, boolean replaces) {
    }

    /** What was restored and how it compares with the dump. */
    public record Result(String database, int tablesInDump, int tablesRestored, long rowsCompared, int tablesCounted,
                         List<String> notCounted) {
    }

    private final ConnectionSettings server;
    private final Options options;
    private final PrintWriter out;

    public LogicalRestore(ConnectionSettings server, Options options, PrintWriter out) {
        this.server = server;
        this.options = options;
        this.out = out;
    }

    /**
     * Reads the whole dump, checking its checksum and completeness and counting tables and rows.
     *
     * @param restoring whether {@link #restore} follows: a custom-format dump is then kept in a file
     *     for pg_restore's parallel jobs, unless it is stored encrypted
     * @throws IOException saying what is wrong with the dump; nothing has been created
     */
    public Verified verify(DumpSource source, boolean restoring) throws IOException {
        // an encrypted dump's plaintext never touches the disk: load() streams it into pg_restore again
        boolean spool = restoring && !source.encrypted();
        DumpContents contents = new DumpContents();
        // a compressed file without a manifest has no known size: bytes and rate then, no bar
        ProgressBar progress = new ProgressBar(out, "verifying", 0, "", Math.max(0, source.originalBytes()));
        Optional<Path> spoolFile = Optional.empty();
        // a custom dump already on disk as pg_dump wrote it is read by pg_restore where it is
        Optional<Path> inPlace = spool && source.format() == DumpFormat.CUSTOM ? source.localFile() : Optional.empty();
        try {
            if (source.format() == DumpFormat.PLAIN) {
                copy(source.open(), contents, progress);
            } else {
                if (spool && inPlace.isEmpty()) {
                    Files.createDirectories(options.spoolDirectory());
                    spoolFile = Optional.of(Files.createTempFile(options.spoolDirectory(), "walden-restore-", ".dump",
                            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))));
                }
                readCustom(source, contents, spoolFile, progress);
            }
        } catch (IOException e) {
            deleteQuietly(spoolFile);
            throw new IOException("dump " + source.description() + " can't be restored: " + e.getMessage()
                    + "; nothing was created", e);
        }
        if (!contents.complete()) {
            deleteQuietly(spoolFile);
            throw new IOException("dump " + source.description() + " is incomplete: it does not end with pg_dump's "
                    + "'dump complete' line; nothing was created");
        }
        progress.finish();
        return inPlace.isPresent() ? new Verified(source, contents, inPlace, false)
                : new Verified(source, contents, spoolFile, true);
    }

    /** Custom format: pg_restore turns the archive into SQL (every data block included), read like a plain dump. */
    private void readCustom(DumpSource source, DumpContents contents, Optional<Path> spool, ProgressBar progress)
            throws IOException {
        PgProgram pgRestore = PgProgram.find("pg_restore", options.pgBin());
        Process process = new ProcessBuilder(pgRestore.path().toString(), "--file=-").start();
        StderrTail stderr = new StderrTail(process.getErrorStream());
        Thread reader = Thread.ofPlatform().daemon().name("walden-restore-read").start(() -> {
            try (InputStream sql = process.getInputStream()) {
                sql.transferTo(contents);
            } catch (IOException ignored) {
                // pg_restore ended; its exit status says how
            }
        });
        try (InputStream in = source.open();
             OutputStream file = spool.isPresent() ? Files.newOutputStream(spool.get()) : OutputStream.nullOutputStream()) {
            OutputStream stdin = process.getOutputStream();
            byte[] buffer = new byte[256 * 1024];
            int n;
            boolean listening = true;
            while ((n = in.read(buffer)) > 0) {
                file.write(buffer, 0, n);
                if (listening) {
                    try {
                        stdin.write(buffer, 0, n);
                    } catch (IOException e) {
                        listening = false; // pg_restore gave up: read on for the checksum, then report it
                    }
                }
                progress.add(n, 0);
            }
            try {
                stdin.close();
            } catch (IOException ignored) {
                // already gone
            }
            if (!process.waitFor(10, TimeUnit.MINUTES)) {
                throw new IOException("pg_restore did not finish reading the dump within 10 min");
            }
            reader.join(TimeUnit.MINUTES.toMillis(1));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while verifying the dump", e);
        } finally {
            if (process.isAlive()) { // destroying closes its stderr: the tail must read it first
                process.destroyForcibly();
            }
        }
        if (process.exitValue() != 0) {
            throw new IOException("pg_restore can't read it: " + stderr.message());
        }
    }

    /**
     * Checks the target before anything changes.
     *
     * @param sourceDatabase the database the data comes from, which is never the target
     * @param origin how to name it in the refusal ("the dump was taken from")
     * @param replace whether an existing database of that name may be dropped (-D)
     * @param nameOption the option that names the target, for the hint ({@code -d}, {@code --into-database})
     * @throws RefusedException saying why the target can't be used
     * @throws IOException when the server can't be asked
     */
    public Plan check(String sourceDatabase, String origin, String target, boolean replace, String nameOption)
            throws IOException {
        if (target.isEmpty() || target.getBytes(StandardCharsets.UTF_8).length > Sql.MAX_IDENTIFIER_BYTES) {
            throw new RefusedException("'" + target + "' can't be a database name: 1 to " + Sql.MAX_IDENTIFIER_BYTES
                    + " bytes");
        }
        if (target.equals(sourceDatabase)) {
            throw new RefusedException("'" + target + "' is the database " + origin + "; walden never overwrites it: "
                    + "restore under another name and switch over yourself");
        }
        if (target.equals("template0") || target.equals("template1")) {
            throw new RefusedException("'" + target + "' is a template database; choose another name (" + nameOption
                    + ")");
        }
        if (target.equals(MAINTENANCE_DATABASE)) {
            // tools, poolers and walden itself connect there first; a restore must not take it over
            throw new RefusedException("'" + target + "' is the maintenance database; choose another name ("
                    + nameOption + ")");
        }
        try (Connection c = admin(target)) {
            if (exists(c, working(target))) {
                throw new RefusedException("database '" + working(target) + "' exists, left by an interrupted "
                        + "restore; drop it (DROP DATABASE " + Sql.identifier(working(target)) + ") and run again");
            }
            if (!exists(c, target)) {
                return new Plan(target, false);
            }
            if (!replace) {
                throw new RefusedException("database '" + target + "' already exists on " + server.withDatabase(target)
                        + "; choose another name (" + nameOption + ") or replace it (-D)");
            }
            int sessions = sessions(c, target);
            if (sessions > 0) {
                throw new RefusedException("database '" + target + "' has " + sessions + " open session(s); it can "
                        + "only be replaced when nobody is connected. Nothing was changed");
            }
            return new Plan(target, true);
        } catch (SQLException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    /**
     * Loads the verified dump into the planned database.
     *
     * @throws IOException what failed; the working database is gone and the target untouched
     */
    public Result restore(Verified dump, Plan plan) throws IOException {
        String working = working(plan.target());
        try (Connection c = admin(plan.target()); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + Sql.identifier(working) + " TEMPLATE template0");
        } catch (SQLException e) {
            throw new IOException("can't create database '" + working + "': " + e.getMessage(), e);
        }
        Thread cleanup = new Thread(() -> dropQuietly(plan.target(), working), "walden-restore-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanup); // Ctrl-C mid-restore leaves no half-restored database
        try {
            load(dump, working);
            Result result = compare(dump.contents(), working, plan.target());
            switchOver(plan, working);
            return result;
        } catch (IOException | RuntimeException e) {
            dropQuietly(plan.target(), working);
            throw e;
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(cleanup);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs anyway
            }
        }
    }

    private void load(Verified dump, String database) throws IOException {
        List<String> command = new ArrayList<>();
        ProgressBar progress;
        String dbname = "dbname=" + Sql.conninfoValue(database);
        boolean plain = dump.source().format() == DumpFormat.PLAIN;
        if (plain) {
            PgProgram psql = PgProgram.find("psql", options.pgBin());
            command.addAll(List.of(psql.path().toString(), "-X", "-q", "--no-password", "-v", "ON_ERROR_STOP=1",
                    "-f", "-", "-d", dbname)); // -f -: errors name their line of the dump
            progress = new ProgressBar(out, "restoring", 0, "", dump.contents().bytes());
        } else {
            PgProgram pgRestore = PgProgram.find("pg_restore", options.pgBin());
            command.addAll(List.of(pgRestore.path().toString(), "--exit-on-error", "--no-password", "--verbose",
                    "-d", dbname));
            if (dump.spool().isPresent()) {
                command.addAll(List.of("--jobs=" + options.jobs(), dump.spool().get().toString()));
            } else if (options.jobs() > 1) {
                // parallel jobs need a seekable file, which would be plaintext on disk
                out.println("walden restore: --jobs " + options.jobs() + " ignored: an encrypted dump is streamed into "
                        + "pg_restore, never unpacked to disk");
            }
            progress = new ProgressBar(out, "restoring", dump.contents().rows().size(), "tables", 0);
        }
        boolean streamed = plain || dump.spool().isEmpty();
        ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        builder.environment().putAll(server.withDatabase(database).libpqEnvironment());
        if (!streamed) {
            builder.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        }
        Process process = builder.start();
        StderrTail stderr = new StderrTail(process.getErrorStream(), line -> {
            if (!plain && line.contains("processing data for table")) {
                progress.add(0, 1);
            }
        });
        try {
            if (streamed) {
                feed(dump.source(), process.getOutputStream(), plain ? progress : null);
            }
            process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while restoring", e);
        } finally {
            if (process.isAlive()) { // destroying closes its stderr: the tail must read it first
                process.destroyForcibly();
            }
        }
        if (process.exitValue() != 0) {
            throw new IOException(command.get(0).substring(command.get(0).lastIndexOf('/') + 1) + " failed (exit "
                    + process.exitValue() + "): " + stderr.message() + "; the half-restored database was dropped");
        }
        progress.finish();
    }

    /** Tables and row counts of the restored database against the dump's. */
    private Result compare(DumpContents contents, String working, String target) throws IOException {
        try (Connection c = Database.connect(server.withDatabase(working)); Statement s = c.createStatement()) {
            int restoredTables;
            try (ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = "
                    + "c.relnamespace WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', "
                    + "'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%'")) {
                rs.next();
                restoredTables = rs.getInt(1);
            }
            if (restoredTables < contents.tables().size()) {
                throw new IOException("the dump creates " + contents.tables().size() + " tables, but only "
                        + restoredTables + " were restored");
            }
            long compared = 0;
            int counted = 0;
            List<String> notCounted = new ArrayList<>();
            for (Map.Entry<String, Long> table : contents.rows().entrySet()) {
                long size;
                try (ResultSet rs = s.executeQuery("SELECT pg_total_relation_size('" + table.getKey().replace("'", "''")
                        + "'::regclass)")) {
                    rs.next();
                    size = rs.getLong(1);
                }
                if (size > COUNT_LIMIT_BYTES) {
                    notCounted.add(table.getKey());
                    continue;
                }
                try (ResultSet rs = s.executeQuery("SELECT count(*) FROM " + table.getKey())) {
                    rs.next();
                    long rows = rs.getLong(1);
                    if (rows != table.getValue()) {
                        throw new IOException("restored table " + table.getKey() + " has " + rows
                                + " rows, the dump has " + table.getValue());
                    }
                }
                compared += table.getValue();
                counted++;
            }
            return new Result(target, contents.tables().size(), restoredTables, compared, counted, notCounted);
        } catch (SQLException e) {
            throw new IOException("checking the restored database: " + e.getMessage(), e);
        }
    }

    /** Gives the working database the target's name; an existing target is dropped only now. */
    private void switchOver(Plan plan, String working) throws IOException {
        String target = plan.target();
        String old = truncate(target, OLD_SUFFIX);
        try (Connection c = admin(target); Statement s = c.createStatement()) {
            if (plan.replaces()) {
                try {
                    s.execute("ALTER DATABASE " + Sql.identifier(target) + " RENAME TO " + Sql.identifier(old));
                } catch (SQLException e) {
                    throw new IOException("can't replace database '" + target + "' (it is unchanged): "
                            + e.getMessage(), e);
                }
            }
            try {
                s.execute("ALTER DATABASE " + Sql.identifier(working) + " RENAME TO " + Sql.identifier(target));
            } catch (SQLException e) {
                if (plan.replaces()) {
                    s.execute("ALTER DATABASE " + Sql.identifier(old) + " RENAME TO " + Sql.identifier(target));
                }
                throw new IOException("can't rename '" + working + "' to '" + target + "': " + e.getMessage(), e);
            }
            if (plan.replaces()) {
                try {
                    s.execute("DROP DATABASE " + Sql.identifier(old));
                } catch (SQLException e) {
                    out.println("warning: the replaced database is still there as '" + old + "': " + e.getMessage());
                }
            }
        } catch (SQLException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    static String working(String target) {
        return truncate(target, WORKING_SUFFIX);
    }

    /** {@code name + suffix}, shortening {@code name} so the whole fits in an identifier. */
    public static String truncate(String name, String suffix) {
        int room = Sql.MAX_IDENTIFIER_BYTES - suffix.length();
        StringBuilder kept = new StringBuilder();
        int bytes = 0;
        for (int i = 0; i < name.length(); ) {
            int cp = name.codePointAt(i);
            int size = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8).length;
            if (bytes + size > room) {
                break;
            }
            kept.appendCodePoint(cp);
            bytes += size;
            i += Character.charCount(cp);
        }
        return kept + suffix;
    }

    /** A connection for CREATE/DROP/RENAME: to the configured database, unless that is the one being replaced. */
    private Connection admin(String target) throws SQLException {
        String database = server.database();
        if (database.equals(target) || database.equals(working(target))) {
            database = "postgres";
        }
        return Database.connect(server.withDatabase(database));
    }

    private static boolean exists(Connection c, String name) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    private static int sessions(Connection c, String name) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM pg_stat_activity WHERE datname = ?")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    private void dropQuietly(String target, String working) {
        try (Connection c = admin(target); Statement s = c.createStatement()) {
            // FORCE (PostgreSQL 13+): after Ctrl-C, psql's session may not have ended yet; the database is ours
            s.execute("DROP DATABASE IF EXISTS " + Sql.identifier(working) + " WITH (FORCE)");
        } catch (SQLException e) {
            out.println("warning: could not drop the working database '" + working + "': " + e.getMessage());
            out.flush();
        }
    }

    /**
     * Streams the dump (checked against its checksum again: it is read a second time) into psql,
     * or pg_restore for an encrypted custom-format dump; {@code progress} (may be null) counts the
     * bytes. The program stopping early is not an error here: ON_ERROR_STOP or --exit-on-error,
     * and its exit status tells.
     */
    private static void feed(DumpSource source, OutputStream stdin, ProgressBar progress) throws IOException {
        try (InputStream in = source.open()) {
            byte[] buffer = new byte[256 * 1024];
            int n;
            while ((n = in.read(buffer)) > 0) {
                try {
                    stdin.write(buffer, 0, n);
                } catch (IOException psqlStopped) {
                    return;
                }
                if (progress != null) {
                    progress.add(n, 0);
                }
            }
        } finally {
            try {
                stdin.close();
            } catch (IOException psqlStopped) {
                // as above
            }
        }
    }

    private static void copy(InputStream in, OutputStream to, ProgressBar progress) throws IOException {
        try (in) {
            byte[] buffer = new byte[256 * 1024];
            int n;
            while ((n = in.read(buffer)) > 0) {
                to.write(buffer, 0, n);
                progress.add(n, 0);
            }
        }
    }

    private static void deleteQuietly(Optional<Path> file) {
        try {
            if (file.isPresent()) {
                Files.deleteIfExists(file.get());
            }
        } catch (IOException ignored) {
            // a temp file; the directory is the operator's
        }
    }
}
