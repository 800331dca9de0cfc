package dev.walden.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.catalog.DumpCatalog;
import dev.walden.catalog.DumpManifest;
import dev.walden.postgres.LocalCluster;
import dev.walden.repo.Checksums;
import dev.walden.storage.posix.PosixStorage;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** walden dump against PostgreSQL 15: the seed scripts' naming, latest pointer and verification. */
class DumpIT {
    @TempDir
    Path dir;
    Installation walden;
    LocalCluster cluster;

    @BeforeEach
    void setUp() throws Exception {
        Path clusterDir = dir.resolve("pg");
        walden = new Installation(dir, clusterDir.resolve("data"));
        cluster = walden.initCluster(clusterDir, Map.of());
        walden.connectTo(cluster);
        walden.init();
        cluster.start();
        cluster.execute("CREATE DATABASE app", "CREATE DATABASE reports");
        try (var c = java.sql.DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + cluster.port()
                + "/app?user=postgres"); var s = c.createStatement()) {
            s.execute("CREATE TABLE customers AS SELECT g AS id, 'customer ' || g AS name FROM generate_series(1, 3000) g");
        }
    }

    @AfterEach
    void tearDown() throws Exception {
        cluster.close();
        walden.close();
    }

    private DumpCatalog catalog() throws Exception {
        return new DumpCatalog(new PosixStorage(walden.repository));
    }

    private Installation.Run dump(String... extra) throws Exception {
        String[] args = new String[extra.length + 3];
        args[0] = "dump";
        args[1] = "--config";
        args[2] = walden.config.toString();
        System.arraycopy(extra, 0, args, 3, extra.length);
        return walden.walden(args);
    }

    @Test
    void plainDumpsAreNamedAsTheScriptsNamedThemVerifiedAndPointedToByLatest() throws Exception {
        walden.configure("dump.databases = app, reports");
        Installation.Run run = dump();
        assertEquals(0, run.exit(), run.toString());
        assertTrue(run.stdout().contains("dumped app to dumps/app/app_backup_"), run.stdout());
        assertTrue(run.stdout().contains("verified: ends with '-- PostgreSQL database dump complete'"), run.stdout());

        List<DumpCatalog.Entry> app = catalog().list(Optional.of("app"));
        assertEquals(1, app.size());
        String key = app.get(0).key();
        assertTrue(key.matches("dumps/app/app_backup_\\d{8}_\\d{6}\\.sql"), key);
        Path file = walden.repository.resolve(key);
        String sql = Files.readString(file);
        assertTrue(sql.contains("customer 2999"), "plain SQL, uncompressed, for easy inspection");
        // the marker closes the dump (current minor releases add only an "unrestrict" line after it)
        assertTrue(sql.substring(sql.length() - 300).contains("-- PostgreSQL database dump complete"));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        Path latest = walden.repository.resolve("dumps/app/latest_backup.sql");
        assertTrue(Files.isSymbolicLink(latest));
        assertEquals(file.getFileName(), Files.readSymbolicLink(latest));
        DumpManifest manifest = app.get(0).manifest().orElseThrow();
        assertEquals(Checksums.sha256(new ByteArrayInputStream(Files.readAllBytes(file))), manifest.sha256());
        assertEquals(Files.size(file), manifest.originalBytes());
        assertEquals(1, catalog().list(Optional.of("reports")).size());
    }

    @Test
    void customAndCompressedFormatsAreVerifiedTheirOwnWay() throws Exception {
        Installation.Run custom = Installation.run(dir, "env", "WALDEN_DUMP_FORMAT=custom",
                Installation.HOME.resolve("bin/walden").toString(), "dump", "--config", walden.config.toString(),
                "--database", "app");
        assertEquals(0, custom.exit(), custom.toString());
        assertTrue(custom.stdout().contains("verified: pg_restore reads it back in full"), custom.stdout());
        String customKey = catalog().latest("app").orElseThrow();
        assertTrue(customKey.endsWith(".dump"), customKey);
        Thread.sleep(1100); // the names have second resolution
        Installation.Run gzip = Installation.run(dir, "env", "WALDEN_DUMP_COMPRESSION=gzip",
                Installation.HOME.resolve("bin/walden").toString(), "dump", "--config", walden.config.toString(),
                "--database", "app");
        assertEquals(0, gzip.exit(), gzip.toString());
        String gzipKey = catalog().latest("app").orElseThrow();
        assertTrue(gzipKey.endsWith(".sql.gz"), gzipKey);
        assertFalse(Files.exists(walden.repository.resolve("dumps/app/latest_backup.dump")),
                "one latest pointer per database");
        try (InputStream in = new GZIPInputStream(Files.newInputStream(walden.repository.resolve(gzipKey)))) {
            assertTrue(new String(in.readAllBytes()).contains("-- PostgreSQL database dump complete"));
        }
    }

    @Test
    void aTruncatedDumpIsRefusedLeavesNothingAndNeverBecomesLatest() throws Exception {
        assertEquals(0, dump("--database", "app").exit());
        String good = catalog().latest("app").orElseThrow();
        Path fakeBin = Files.createDirectories(dir.resolve("fake-bin"));
        Path real = Installation.pgBin();
        Files.writeString(fakeBin.resolve("pg_dump"), """
                #!/bin/sh
                # records how it was called, then cuts the dump short, as a full disk or a kill would
                printf '%%s\\n' "$@" > "%s/args"
                env > "%s/env"
                if [ "$1" = "--version" ]; then exec "%s/pg_dump" --version; fi
                "%s/pg_dump" "$@" | head -c 2000
                """.formatted(fakeBin, fakeBin, real, real));
        Files.setPosixFilePermissions(fakeBin.resolve("pg_dump"), PosixFilePermissions.fromString("rwx------"));
        walden.configure("pg_bin = " + fakeBin);
        Thread.sleep(1100);
        Installation.Run run = Installation.run(dir, "env", "DATABASE_URL=postgres://postgres:sekret@localhost/app",
                Installation.HOME.resolve("bin/walden").toString(), "dump", "--config", walden.config.toString(),
                "--database", "app");
        assertEquals(1, run.exit(), run.toString());
        assertTrue(run.stderr().contains("app: the dump is incomplete: it does not end with '-- PostgreSQL database "
                + "dump complete'"), run.stderr());
        assertEquals(1, catalog().list(Optional.of("app")).size(), "nothing left under a dump name");
        assertEquals(good, catalog().latest("app").orElseThrow(), "latest still points at the good dump");
        String args = Files.readString(fakeBin.resolve("args"));
        assertFalse(args.contains("sekret"), "no password on pg_dump's command line: " + args);
        assertFalse(run.stdout().contains("sekret") || run.stderr().contains("sekret"), "nor in walden's output");
        assertTrue(Files.readString(fakeBin.resolve("env")).contains("PGPASSWORD=sekret"), "it travels in the environment");
    }

    @Test
    void aServerThatCantBeReachedGetsItsErrorAloneNamingTheSocketTried() throws Exception {
        Installation.Run run = Installation.run(dir, "env", "DB_PORT=1", Installation.HOME.resolve("bin/walden").toString(),
                "dump", "--config", walden.config.toString(), "--database", "app");
        assertEquals(1, run.exit(), run.toString());
        assertEquals("walden dump: app: cannot connect to PostgreSQL on socket '" + cluster.socketDirectory()
                + "/.s.PGSQL.1' as 'postgres' (database 'app'): No such file or directory\n", run.stderr());
        assertFalse(run.stdout().contains("dumping"), "no progress line for a dump that never began: " + run.stdout());
        assertTrue(catalog().list(Optional.empty()).isEmpty());
    }

    @Test
    void aStuckPgDumpIsStoppedAtDumpTimeout() throws Exception {
        Path fakeBin = Files.createDirectories(dir.resolve("stuck-bin"));
        Files.writeString(fakeBin.resolve("pg_dump"), """
                #!/bin/sh
                if [ "$1" = "--version" ]; then exec "%s/pg_dump" --version; fi
                printf -- '--\n-- PostgreSQL database dump\n--\n'
                exec sleep 600   # waits on a lock forever, as far as walden can tell
                """.formatted(Installation.pgBin()));
        Files.setPosixFilePermissions(fakeBin.resolve("pg_dump"), PosixFilePermissions.fromString("rwx------"));
        walden.configure("pg_bin = " + fakeBin, "dump.timeout = 2s");
        long start = System.nanoTime();
        Installation.Run run = dump("--database", "app");
        assertEquals(1, run.exit(), run.toString());
        assertTrue(run.stderr().contains("pg_dump did not finish within 2s (dump.timeout) and was stopped"),
                run.stderr());
        assertTrue(System.nanoTime() - start < java.time.Duration.ofSeconds(60).toNanos());
        assertTrue(catalog().list(Optional.empty()).isEmpty(), "nothing left under a dump name");
    }

    @Test
    void aPgDumpOlderThanTheServerIsRefusedUpFrontSayingWhichToUse() throws Exception {
        Path fakeBin = Files.createDirectories(dir.resolve("old-bin"));
        Files.writeString(fakeBin.resolve("pg_dump"), "#!/bin/sh\necho 'pg_dump (PostgreSQL) 14.19'\n");
        Files.setPosixFilePermissions(fakeBin.resolve("pg_dump"), PosixFilePermissions.fromString("rwx------"));
        walden.configure("pg_bin = " + fakeBin);
        Installation.Run run = dump("--database", "app");
        assertEquals(1, run.exit(), run.toString());
        assertTrue(run.stderr().contains("is PostgreSQL 14.19, older than the server (15."), run.stderr());
        assertTrue(run.stderr().contains("Set pg_bin to the PostgreSQL 15 (or newer) programs, e.g. "
                + "/usr/lib/postgresql/15/bin"), run.stderr());
        assertTrue(catalog().list(Optional.empty()).isEmpty());
    }
}
