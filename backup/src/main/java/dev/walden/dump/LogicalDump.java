package dev.walden.dump;

import dev.walden.catalog.DumpCatalog;
import dev.walden.catalog.DumpManifest;
import dev.walden.db.ConnectionSettings;
import dev.walden.db.Database;
import dev.walden.repo.Compression;
import dev.walden.repo.ObjectPut;
import dev.walden.storage.Storage;
import java.io.ByteArrayOutputStream;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * One logical dump of one database with {@code pg_dump}, streamed straight into the repository
 * and verified before it is committed: a plain dump must end with pg_dump's closing
 * "PostgreSQL database dump complete" line, a custom-format dump must list with
 * {@code pg_restore --list} (fed the same bytes as they stream). A dump that fails either check,
 * or whose pg_dump exits non-zero, leaves nothing under its name and never becomes
 * {@code latest}. The password travels in pg_dump's environment, never on its command line.
 */
public final class LogicalDump {
    static final String COMPLETE_MARKER = "-- PostgreSQL database dump complete";
    private static final int TAIL_BYTES = 4096;

    public record Options(Optional<Path> pgBin, DumpFormat format, Compression compression, Duration timeout) {
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
        ConnectionSettings target = connection.withDatabase(database);
        ServerVersion server = serverVersion(target);
        PgProgram pgDump = PgProgram.find("pg_dump", options.pgBin());
        if (pgDump.major() < server.major()) {
            throw new IOException(pgDump.path() + " is PostgreSQL " + pgDump.version() + ", older than the server ("
                    + server.version() + "): pg_dump refuses to dump a newer server. Set pg_bin to the PostgreSQL "
                    + server.major() + " (or newer) programs, e.g. /usr/lib/postgresql/" + server.major() + "/bin");
        }
        LocalDateTime taken = LocalDateTime.now(clock);
        boolean custom = options.format() == DumpFormat.CUSTOM;
        // the custom format compresses itself; walden compresses plain SQL only when asked
        Compression compression = custom ? Compression.NONE : options.compression();
        String extension = custom ? "dump" : "sql" + (compression == Compression.NONE ? "" : "." + compression.extension());
        String key = DumpCatalog.dumpKey(database, taken, extension);

        List<String> command = List.of(pgDump.path().toString(), "--format=" + options.format().pgDumpFlag(),
                "--no-password");
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().putAll(target.libpqEnvironment());
        Process process = builder.start();
        StderrTail stderr = new StderrTail(process.getErrorStream());
        Verifier verifier = custom ? new RestoreListVerifier(PgProgram.find("pg_restore", options.pgBin()))
                : new MarkerVerifier();
        ObjectPut.Result result;
        try (InputStream out = process.getInputStream()) {
            result = ObjectPut.put(storage, key, out, compression, compression.defaultLevel(), Optional.empty(),
                    verifier::inspect, () -> {
                        awaitExit(process, pgDump, stderr);
                        verifier.finish();
                    });
        } finally {
            process.destroyForcibly();
            verifier.abandon();
        }
        DumpManifest manifest = new DumpManifest(DumpManifest.FORMAT, database, key,
                ZonedDateTime.of(taken, clock.getZone()).toOffsetDateTime().toString(),
                options.format().name().toLowerCase(), compression.configName(), result.sha256(),
                result.originalBytes(), result.storedBytes(), verifier.description(), pgDump.version(),
                server.version());
        DumpCatalog catalog = new DumpCatalog(storage);
        catalog.writeManifest(manifest);
        catalog.setLatest(database, key);
        return manifest;
    }

    private void awaitExit(Process process, PgProgram pgDump, StderrTail stderr) throws IOException {
        try {
            if (!process.waitFor(options.timeout().toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IOException("pg_dump did not finish within " + options.timeout().toMinutes() + " min");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted waiting for pg_dump", e);
        }
        if (process.exitValue() != 0) {
            throw new IOException(pgDump.path().getFileName() + " exited with " + process.exitValue() + ": "
                    + stderr.lastLine());
        }
    }

    private record ServerVersion(String version, int major) {
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

    /** Custom format: pg_restore --list reads the same bytes and must accept them. */
    private static final class RestoreListVerifier implements Verifier {
        private final Process restore;
        private final OutputStream stdin;
        private final StderrTail stderr;
        private final ByteArrayOutputStream listing = new ByteArrayOutputStream();
        private final Thread reader;
        private int entries;

        RestoreListVerifier(PgProgram pgRestore) throws IOException {
            restore = new ProcessBuilder(pgRestore.path().toString(), "--list").start();
            stdin = restore.getOutputStream();
            stderr = new StderrTail(restore.getErrorStream());
            reader = Thread.ofPlatform().daemon().start(() -> {
                try (InputStream in = restore.getInputStream()) {
                    in.transferTo(listing);
                } catch (IOException ignored) {
                    // the exit status says what happened
                }
            });
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
                if (!restore.waitFor(5, TimeUnit.MINUTES)) {
                    throw new IOException("pg_restore --list did not finish within 5 min");
                }
                reader.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted waiting for pg_restore --list", e);
            }
            if (restore.exitValue() != 0) {
                throw new IOException("the dump does not read back: pg_restore --list exited with " + restore.exitValue()
                        + ": " + stderr.lastLine());
            }
            entries = (int) listing.toString(StandardCharsets.UTF_8).lines().filter(l -> !l.startsWith(";"))
                    .filter(l -> !l.isBlank()).count();
        }

        @Override
        public String description() {
            return "pg_restore --list reads " + entries + " entries";
        }

        @Override
        public void abandon() {
            restore.destroyForcibly();
        }
    }

    /** Collects a program's stderr in the background; keeps the last lines for error messages. */
    static final class StderrTail {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private final Thread thread;

        StderrTail(InputStream in) {
            thread = Thread.ofPlatform().daemon().start(() -> {
                byte[] buffer = new byte[8192];
                int n;
                try (in) {
                    while ((n = in.read(buffer)) > 0) {
                        synchronized (bytes) {
                            if (bytes.size() < 64 * 1024) {
                                bytes.write(buffer, 0, n);
                            }
                        }
                    }
                } catch (IOException ignored) {
                    // the program ended
                }
            });
        }

        String lastLine() {
            try {
                thread.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            String text;
            synchronized (bytes) {
                text = bytes.toString(StandardCharsets.UTF_8).strip();
            }
            List<String> lines = new ArrayList<>(text.lines().toList());
            return lines.isEmpty() ? "(no message)" : lines.get(lines.size() - 1);
        }
    }
}
