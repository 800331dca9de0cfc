package dev.walden.dump;

import dev.walden.catalog.ChangeMarker;
import dev.walden.catalog.DumpCatalog;
import dev.walden.catalog.DumpManifest;
import dev.walden.config.ConfigException;
import dev.walden.config.ConfigKeys;
import dev.walden.config.ConfigSource;
import dev.walden.config.Durations;
import dev.walden.db.ConnectionSettings;
import dev.walden.db.Database;
import dev.walden.postgres.PgProgram;
import dev.walden.postgres.StderrTail;
import dev.walden.repo.Compression;
import dev.walden.repo.ObjectPut;
import dev.walden.storage.Storage;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.ZonedDateTime;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One logical dump of one database with {@code pg_dump}, streamed straight into the repository
 * and verified before it is committed: a plain dump must end with pg_dump's closing
 * "PostgreSQL database dump complete" line, a custom-format dump must list with
 * {@code pg_restore} (fed the same bytes as they stream, and reading all of them). A dump that fails either check,
 * or whose pg_dump exits non-zero, leaves nothing under its name and never becomes
 * {@code latest}. The password travels in pg_dump's environment, never on its command line.
 */
public final class LogicalDump {
    private static final System.Logger LOG = System.getLogger(LogicalDump.class.getName());
    public static final String COMPLETE_MARKER = "-- PostgreSQL database dump complete";
    private static final int TAIL_BYTES = 4096;

    public record Options(Optional<Path> pgBin, DumpFormat format, Compression compression, Duration timeout) {

        /** What pg_bin and dump.* say. */
        public static Options from(ConfigSource config) throws ConfigException {
            Optional<Path> pgBin = config.path(ConfigKeys.PG_BIN);
            Compression compression = config.parsed(ConfigKeys.DUMP_COMPRESSION, name -> {
                Compression c = Compression.fromConfigName(name);
                if (c == Compression.LZ4) {
                    throw new IllegalArgumentException("'lz4' is not offered for dumps (expected none, gzip or zstd)");
                }
                return c;
            });
            return new Options(pgBin, config.parsed(ConfigKeys.DUMP_FORMAT, DumpFormat::fromConfigName), compression,
                    config.duration(ConfigKeys.DUMP_TIMEOUT));
        }
    }

    /** The databases dump.databases names; empty when it names none (then the connection's database is dumped). */
    public static List<String> databases(ConfigSource config) throws ConfigException {
        return Arrays.stream(config.raw(ConfigKeys.DUMP_DATABASES).orElse("").split(","))
                .map(String::strip).filter(s -> !s.isEmpty()).toList();
    }

    private final Storage storage;
    private final ConnectionSettings connection;
    private final Options options;
    private final Clock clock;

    public LogicalDump(Storage storage, ConnectionSettings connection, Options options, Clock clock) {
        this.storage = storage;
        this.connection = connection;
        this.options = options;
        this.clock = clock;
    }

    /** Dumps {@code database}; returns the manifest of the verified dump. */
    public DumpManifest dump(String database) throws IOException {
        return dump(database, bytes -> {
        });
    }

    /** Dumps {@code database}, telling {@code progress} how many more bytes pg_dump wrote as they come. */
    public DumpManifest dump(String database, java.util.function.LongConsumer progress) throws IOException {
        return dump(database, () -> {
        }, progress);
    }

    /**
     * Dumps {@code database}; {@code started} runs once the server has answered and pg_dump runs
     * (a progress display begins there, so a connection error is never preceded by one), then
     * {@code progress} hears how many more bytes pg_dump wrote as they come.
     */
    public DumpManifest dump(String database, Runnable started, java.util.function.LongConsumer progress)
            throws IOException {
        long began = System.nanoTime();
        ConnectionSettings target = connection.withDatabase(database);
        ServerVersion server = serverVersion(target);
        PgProgram pgDump = PgProgram.find("pg_dump", options.pgBin());
        if (pgDump.major() < server.major()) {
            throw new IOException(pgDump.path() + " is PostgreSQL " + pgDump.version() + ", older than the server ("
                    + server.version() + "): pg_dump refuses to dump a newer server. Set pg_bin to the PostgreSQL "
                    + server.major() + " (or newer) programs, e.g. /usr/lib/postgresql/" + server.major() + "/bin");
        }
        boolean custom = options.format() == DumpFormat.CUSTOM;
        // the custom format compresses itself; walden compresses plain SQL only when asked
        Compression compression = custom ? Compression.NONE : options.compression();
        String extension = custom ? "dump" : "sql" + (compression == Compression.NONE ? "" : "." + compression.extension());
        LocalDateTime taken = LocalDateTime.now(clock).withNano(0);
        String key = DumpCatalog.dumpKey(database, taken, extension);
        while (storage.stat(key).isPresent()) { // names have second resolution
            taken = taken.plusSeconds(1);
            key = DumpCatalog.dumpKey(database, taken, extension);
        }
        // everything that can fail before pg_dump runs does so first: no pg_dump left behind
        Verifier verifier = custom ? new RestoreVerifier(restoreProgram(pgDump)) : new MarkerVerifier();

        List<String> command = List.of(pgDump.path().toString(), "--format=" + options.format().pgDumpFlag(),
                "--no-password", "--lock-wait-timeout=" + options.timeout().toMillis());
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().putAll(target.libpqEnvironment());
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            verifier.abandon();
            throw e;
        }
        StderrTail stderr = new StderrTail(process.getErrorStream());
        started.run();
        // dump.timeout bounds the whole dump, including a pg_dump stuck mid-stream: killing it
        // ends the stream, and the exit status then says why
        AtomicBoolean timedOut = new AtomicBoolean();
        CompletableFuture<Process> deadline = process.onExit().orTimeout(options.timeout().toMillis(),
                TimeUnit.MILLISECONDS);
        deadline.whenComplete((p, e) -> {
            if (e != null) {
                timedOut.set(true);
                process.destroyForcibly();
            }
        });
        ObjectPut.Result result;
        try (InputStream out = process.getInputStream()) {
            result = ObjectPut.put(storage, key, out, compression, compression.defaultLevel(), Optional.empty(),
                    (buffer, length) -> {
                        verifier.inspect(buffer, length);
                        progress.accept(length);
                    }, () -> {
                        awaitExit(process, pgDump, stderr, timedOut);
                        verifier.finish();
                    });
        } catch (IOException e) {
            if (timedOut.get()) { // the stream broke because the watchdog stopped pg_dump: say that
                throw new IOException(timeoutMessage(), e);
            }
            throw e;
        } finally {
            process.destroyForcibly();
            deadline.cancel(false);
            verifier.abandon();
        }
        DumpManifest manifest = new DumpManifest(DumpManifest.FORMAT, database, key,
                ZonedDateTime.of(taken, clock.getZone()).toOffsetDateTime().toString(),
                options.format().name().toLowerCase(), compression.configName(), result.sha256(),
                result.originalBytes(), result.storedBytes(), verifier.description(), pgDump.version(),
                server.version(), Math.round((System.nanoTime() - began) / 1e7) / 100.0);
        DumpCatalog catalog = new DumpCatalog(storage);
        catalog.writeManifest(manifest);
        catalog.setLatest(database, key);
        ChangeMarker.tryNote(storage, "dump of " + database, w -> LOG.log(System.Logger.Level.WARNING, w));
        return manifest;
    }

    private void awaitExit(Process process, PgProgram pgDump, StderrTail stderr, AtomicBoolean timedOut)
            throws IOException {
        try {
            if (!process.waitFor(options.timeout().toMillis(), TimeUnit.MILLISECONDS) || timedOut.get()) {
                process.destroyForcibly();
                throw new IOException(timeoutMessage());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted waiting for pg_dump", e);
        }
        if (process.exitValue() != 0) {
            throw new IOException(pgDump.path().getFileName() + " exited with " + process.exitValue() + ": "
                    + stderr.message());
        }
    }

    private String timeoutMessage() {
        return "pg_dump did not finish within " + Durations.format(options.timeout()) + " (dump.timeout) and was stopped";
    }

    private record ServerVersion(String version, int major) {
    }

    /** pg_restore must read what this pg_dump writes: it may not be older. */
    private PgProgram restoreProgram(PgProgram pgDump) throws IOException {
        PgProgram pgRestore = PgProgram.find("pg_restore", options.pgBin());
        if (pgRestore.major() < pgDump.major()) {
            throw new IOException(pgRestore.path() + " is PostgreSQL " + pgRestore.version() + ", older than "
                    + pgDump.path() + " (" + pgDump.version() + "): it can't read what that pg_dump writes");
        }
        return pgRestore;
    }

    private static ServerVersion serverVersion(ConnectionSettings target) throws IOException {
        try (Connection c = Database.connect(target); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT current_setting('server_version'), "
                     + "current_setting('server_version_num')::int / 10000")) {
            rs.next();
            return new ServerVersion(rs.getString(1), rs.getInt(2));
        } catch (SQLException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    /** Checks a dump as it streams; {@link #finish} throws when it is not a complete dump. */
    private interface Verifier {
        void inspect(byte[] buffer, int length) throws IOException;

        void finish() throws IOException;

        String description();

        default void abandon() {
        }
    }

    /** Plain SQL: pg_dump's last comment says the dump is complete. */
    private static final class MarkerVerifier implements Verifier {
        private final byte[] tail = new byte[TAIL_BYTES];
        private int filled;

        @Override
        public void inspect(byte[] buffer, int length) {
            if (length >= TAIL_BYTES) {
                System.arraycopy(buffer, length - TAIL_BYTES, tail, 0, TAIL_BYTES);
                filled = TAIL_BYTES;
            } else {
                int keep = Math.min(filled, TAIL_BYTES - length);
                System.arraycopy(tail, filled - keep, tail, 0, keep);
                System.arraycopy(buffer, 0, tail, keep, length);
                filled = keep + length;
            }
        }

        @Override
        public void finish() throws IOException {
            String end = new String(tail, 0, filled, StandardCharsets.UTF_8);
            if (!end.contains(COMPLETE_MARKER)) {
                throw new IOException("the dump is incomplete: it does not end with '" + COMPLETE_MARKER + "'");
            }
        }

        @Override
        public String description() {
            return "ends with '" + COMPLETE_MARKER + "'";
        }
    }

    /**
     * Custom format: pg_restore reads the same bytes as they stream, every data block included
     * (it writes the SQL it would run to /dev/null), and must accept them.
     */
    private static final class RestoreVerifier implements Verifier {
        private final Process restore;
        private final OutputStream stdin;
        private final StderrTail stderr;

        RestoreVerifier(PgProgram pgRestore) throws IOException {
            restore = new ProcessBuilder(pgRestore.path().toString(), "--file=/dev/null")
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            stdin = restore.getOutputStream();
            stderr = new StderrTail(restore.getErrorStream());
        }

        @Override
        public void inspect(byte[] buffer, int length) throws IOException {
            try {
                stdin.write(buffer, 0, length);
            } catch (IOException e) {
                // pg_restore gave up early: finish() reports its reason
            }
        }

        @Override
        public void finish() throws IOException {
            try {
                stdin.close();
            } catch (IOException ignored) {
                // already gone; the exit status tells
            }
            try {
                if (!restore.waitFor(10, TimeUnit.MINUTES)) {
                    throw new IOException("pg_restore did not finish reading the dump within 10 min");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted waiting for pg_restore", e);
            }
            if (restore.exitValue() != 0) {
                throw new IOException("the dump does not read back: pg_restore exited with " + restore.exitValue() + ": "
                        + stderr.message());
            }
        }

        @Override
        public String description() {
            return "pg_restore reads it back in full";
        }

        @Override
        public void abandon() {
            restore.destroyForcibly();
        }
    }
}
