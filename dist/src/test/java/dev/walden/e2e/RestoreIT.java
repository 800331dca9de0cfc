package dev.walden.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.catalog.DumpCatalog;
import dev.walden.postgres.LocalCluster;
import dev.walden.storage.posix.PosixStorage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * walden restore against PostgreSQL 15: the old "safe restore" script's -d, -D, -f, --dry-run and
 * latest, kept whole, and nothing half-restored left behind when anything goes wrong.
 */
class RestoreIT {
    @TempDir
    static Path dir;
    static Installation walden;
    static LocalCluster cluster;
    static String plainKey;
    static String customKey;

    @BeforeAll
    static void setUp() throws Exception {
        Path clusterDir = dir.resolve("pg");
        walden = new Installation(dir, clusterDir.resolve("data"));
        cluster = walden.initCluster(clusterDir, Map.of());
        walden.connectTo(cluster);
        walden.init();
        walden.configure("dump.databases = app");
        cluster.start();
        cluster.execute("CREATE DATABASE app");
        sql("app", "CREATE TABLE customers AS SELECT g AS id, 'customer ' || g AS name FROM generate_series(1, 3000) g",
                "CREATE TABLE \"Order Lines\" (id int PRIMARY KEY, note text)",
                "INSERT INTO \"Order Lines\" SELECT g, E'multi\\nline ' || g FROM generate_series(1, 250) g",
                "CREATE TABLE empty_one (id int)");
        Installation.Run custom = Installation.run(dir, "env", "WALDEN_DUMP_FORMAT=custom",
                Installation.HOME.resolve("bin/walden").toString(), "dump", "--config", walden.config.toString());
        assertEquals(0, custom.exit(), custom.toString());
        customKey = new DumpCatalog(new PosixStorage(walden.repository)).latest("app").orElseThrow();
        Thread.sleep(1100); // dump names have second resolution
        Installation.Run plain = walden.walden("dump", "--config", walden.config.toString());
        assertEquals(0, plain.exit(), plain.toString());
        plainKey = new DumpCatalog(new PosixStorage(walden.repository)).latest("app").orElseThrow();
        // what production looks like after the dumps: the restores must bring back the dumps' state
        sql("app", "INSERT INTO customers VALUES (3001, 'after the dump')");
    }

    @AfterAll
    static void tearDown() throws Exception {
        cluster.close();
        walden.close();
    }

    private static void sql(String database, String... statements) throws Exception {
        try (Connection c = connect(database); Statement s = c.createStatement()) {
            for (String statement : statements) {
                s.execute(statement);
            }
        }
    }

    private static Connection connect(String database) throws Exception {
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + cluster.port() + "/" + database
                + "?user=postgres");
    }

    private static long count(String database, String table) throws Exception {
        try (Connection c = connect(database); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM " + table)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static List<String> databases() throws Exception {
        List<String> names = new ArrayList<>();
        try (Connection c = connect("postgres"); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT datname FROM pg_database ORDER BY 1")) {
            while (rs.next()) {
                names.add(rs.getString(1));
            }
        }
        return names;
    }

    private static Installation.Run restore(String... args) throws Exception {
        return walden.walden(withConfig(args));
    }

    private static String[] withConfig(String... args) {
        String[] all = new String[args.length + 3];
        all[0] = "restore";
        all[1] = "--config";
        all[2] = walden.config.toString();
        System.arraycopy(args, 0, all, 3, args.length);
        return all;
    }

    @Test
    void latestRestoresIntoANewlyNamedDatabaseAndChecksEveryTable() throws Exception {
        Installation.Run run = restore("latest");
        assertEquals(0, run.exit(), run.toString());
        Matcher m = Pattern.compile("into database '(app_restored_\\d{8}_\\d{6})'").matcher(run.stdout());
        assertTrue(m.find(), run.stdout());
        String restored = m.group(1);
        assertTrue(run.stdout().contains("walden restore: " + plainKey), run.stdout());
        assertTrue(run.stdout().contains("verified: checksum matches, complete, 3 table(s), 3250 row(s) of data"),
                run.stdout());
        assertTrue(run.stdout().contains("3250 row(s) in 3 table(s) match the dump"), run.stdout());
        assertTrue(run.stdout().contains("connect: psql \"postgresql://postgres@localhost:" + cluster.port() + "/"
                + restored + "?host="), run.stdout());
        assertEquals(3000, count(restored, "customers"), "the dump's state, not production's");
        assertEquals(250, count(restored, "\"Order Lines\""));
        assertEquals(3001, count("app", "customers"), "production untouched");
        assertFalse(databases().stream().anyMatch(d -> d.contains("_walden_")), databases().toString());
    }

    @Test
    void customFormatIntoANamedDatabase() throws Exception {
        Installation.Run run = restore(customKey.substring(customKey.lastIndexOf('/') + 1), "-d", "app_custom",
                "--jobs", "2");
        assertEquals(0, run.exit(), run.toString());
        assertTrue(run.stdout().contains("load it with pg_restore"), run.stdout());
        assertTrue(run.stdout().contains("3250 row(s) in 3 table(s) match the dump"), run.stdout());
        assertEquals(3000, count("app_custom", "customers"));
        assertEquals(1, count("app_custom", "\"Order Lines\" WHERE note = E'multi\\nline 7'"));
    }

    @Test
    void anExistingTargetIsRefusedReplacedOnlyWhenConfirmed() throws Exception {
        cluster.execute("CREATE DATABASE staging");
        sql("staging", "CREATE TABLE keep_me (id int)");
        Installation.Run refused = restore("latest", "-d", "staging");
        assertEquals(1, refused.exit(), refused.toString());
        assertTrue(refused.stderr().contains("walden restore: database 'staging' already exists on "
                + "postgresql://postgres@localhost:"), refused.stderr());
        assertTrue(refused.stderr().contains("choose another name (-d) or replace it (-D)"), refused.stderr());

        Installation.Run noAnswer = restore("latest", "-d", "staging", "-D");
        assertEquals(1, noAnswer.exit(), noAnswer.toString());
        assertTrue(noAnswer.stdout().contains("will be DROPPED and replaced"), noAnswer.stdout());
        assertTrue(noAnswer.stderr().contains("not confirmed; database 'staging' is unchanged"), noAnswer.stderr());
        Installation.Run saidNo = walden.waldenTyping("no\n", withConfig("latest", "-d", "staging", "-D"));
        assertEquals(1, saidNo.exit(), saidNo.toString());
        assertEquals(0, count("staging", "keep_me"), "still there");

        try (Connection session = connect("staging")) {
            assertTrue(session.isValid(5), "someone is connected");
            Installation.Run busy = restore("latest", "-d", "staging", "-D", "-f");
            assertEquals(1, busy.exit(), busy.toString());
            assertTrue(busy.stderr().contains("database 'staging' has 1 open session(s)"), busy.stderr());
        }

        Installation.Run yes = walden.waldenTyping("yes\n", withConfig("latest", "-d", "staging", "-D"));
        assertEquals(0, yes.exit(), yes.toString());
        assertEquals(3000, count("staging", "customers"));
        Installation.Run forced = restore(customKey, "-d", "staging", "-D", "-f");
        assertEquals(0, forced.exit(), forced.toString());
        assertFalse(forced.stdout().contains("Type yes"), "-f does not ask");
        assertTrue(forced.stdout().contains("replace the existing database 'staging'"), forced.stdout());
        assertFalse(databases().stream().anyMatch(d -> d.contains("_walden_")), databases().toString());
    }

    @Test
    void theSourceDatabaseIsNeverTheTarget() throws Exception {
        Installation.Run run = restore("latest", "-d", "app", "-D", "-f");
        assertEquals(1, run.exit(), run.toString());
        assertTrue(run.stderr().contains("'app' is the database the dump was taken from; walden never "
                + "overwrites it"), run.stderr());
        assertEquals(3001, count("app", "customers"));
    }

    @Test
    void theMaintenanceDatabaseIsRefusedLikeTheTemplatesAndEveryRefusalIsAudited() throws Exception {
        List<String> before = databases();
        Installation.Run postgres = restore("latest", "-d", "postgres", "-D", "-f");
        assertEquals(1, postgres.exit(), postgres.toString());
        assertTrue(postgres.stderr().contains("walden restore: 'postgres' is the maintenance database; choose another "
                + "name (-d)"), postgres.stderr());
        Installation.Run template = restore("latest", "-d", "template1");
        assertEquals(1, template.exit(), template.toString());
        assertTrue(template.stderr().contains("'template1' is a template database; choose another name (-d)"),
                template.stderr());
        cluster.execute("CREATE DATABASE audited_taken");
        Installation.Run taken = restore("latest", "-d", "audited_taken");
        assertEquals(1, taken.exit(), taken.toString());
        assertEquals(before.size() + 1, databases().size(), "nothing restored");

        Installation.Run audit = walden.walden("audit", "--config", walden.config.toString(), "--json");
        assertEquals(0, audit.exit(), audit.toString());
        List<String> refused = new ArrayList<>();
        for (var e : new com.fasterxml.jackson.databind.ObjectMapper().readTree(audit.stdout()).get("entries")) {
            if (e.get("action").asText().equals("restore") && e.get("result").asText().equals("refused")) {
                refused.add(e.get("target").asText().split(" ")[0] + ": " + e.get("detail").asText());
            }
        }
        assertTrue(refused.contains("postgres: 'postgres' is the maintenance database; choose another name (-d)"),
                refused.toString());
        assertTrue(refused.stream().anyMatch(r -> r.startsWith("template1: 'template1' is a template database")),
                refused.toString());
        assertTrue(refused.stream().anyMatch(r -> r.startsWith("audited_taken: database 'audited_taken' already "
                + "exists")), refused.toString());
    }

    @Test
    void thePrintedConnectionStringPastesIntoAShellWhateverTheName() throws Exception {
        String name = "it's \"odd\" $HOME & co";
        Installation.Run run = restore("latest", "-d", name);
        assertEquals(0, run.exit(), run.toString());
        String line = run.stdout().lines().filter(l -> l.startsWith("connect: psql ")).findFirst().orElseThrow();
        String psql = Installation.pgBin().resolve("psql").toString();
        Installation.Run pasted = Installation.run(dir, "/bin/sh", "-c", "'" + psql + "' "
                + line.substring("connect: psql ".length()) + " -XAtc 'SELECT current_database()'");
        assertEquals(0, pasted.exit(), line + ": " + pasted);
        assertEquals(name + "\n", pasted.stdout(), line);
    }

    @Test
    void dryRunVerifiesAndChangesNothing() throws Exception {
        List<String> before = databases();
        Installation.Run run = restore("latest", "-d", "dry", "--dry-run");
        assertEquals(0, run.exit(), run.toString());
        assertTrue(run.stdout().contains("verified: checksum matches, complete"), run.stdout());
        assertTrue(run.stdout().contains("would create database 'dry' on postgresql://postgres@localhost:"),
                run.stdout());
        assertTrue(run.stdout().contains("dry run: nothing was changed"), run.stdout());
        assertEquals(before, databases());
    }

    @Test
    void aCorruptedOrTruncatedDumpIsRefusedBeforeAnythingIsCreated() throws Exception {
        List<String> before = databases();
        // a flipped byte in a copy of the repository
        Path copy = dir.resolve("repo-corrupt");
        Installation.run(dir, "cp", "-a", walden.repository.toString(), copy.toString());
        Path object = copy.resolve(plainKey);
        byte[] bytes = Files.readAllBytes(object);
        bytes[bytes.length / 3] ^= 0x20;
        Files.write(object, bytes);
        Path config = dir.resolve("corrupt.conf");
        Files.writeString(config, Files.readString(walden.config).replace(walden.repository.toString(),
                copy.toString()));
        Installation.Run corrupt = walden.walden("restore", "--config", config.toString(), "latest", "-d", "never");
        assertEquals(1, corrupt.exit(), corrupt.toString());
        assertTrue(corrupt.stderr().contains("dump " + plainKey + " can't be restored: dump '" + plainKey + "'"),
                corrupt.stderr());
        assertTrue(corrupt.stderr().contains("nothing was created"), corrupt.stderr());

        // a copy of the dump cut short, outside the repository (no manifest: completeness is all there is)
        String sql = Files.readString(walden.repository.resolve(plainKey));
        Path cut = dir.resolve("app_backup_20260101_000000.sql");
        Files.writeString(cut, sql.substring(0, sql.indexOf("customer 1500")));
        Installation.Run truncated = restore(cut.toString(), "-d", "never");
        assertEquals(1, truncated.exit(), truncated.toString());
        assertTrue(truncated.stderr().contains("dump " + cut + " is incomplete"), truncated.stderr());
        assertEquals(before, databases());
    }

    @Test
    void aFailedLoadOrAWrongRowCountLeavesNoDatabaseBehind() throws Exception {
        List<String> before = databases();
        String end = "\n--\n-- PostgreSQL database dump complete\n--\n\n";
        Path failing = dir.resolve("failing_backup_20260101_000000.sql");
        Files.writeString(failing, "CREATE TABLE public.t (a int);\nCOPY public.t (a) FROM stdin;\n1\n2\n\\.\n"
                + "SELECT 1 / 0;\n" + end);
        Installation.Run run = restore(failing.toString(), "-d", "half");
        assertEquals(1, run.exit(), run.toString());
        assertTrue(run.stderr().contains("psql failed (exit 3): psql:<stdin>:6: ERROR:  division by zero; the "
                + "half-restored database was dropped"), run.stderr());

        Path shrinking = dir.resolve("shrinking_backup_20260101_000000.sql");
        Files.writeString(shrinking, "CREATE TABLE public.t (a int);\nCOPY public.t (a) FROM stdin;\n1\n2\n3\n\\.\n"
                + "DELETE FROM public.t WHERE a = 2;\n" + end);
        Installation.Run counted = restore(shrinking.toString(), "-d", "half");
        assertEquals(1, counted.exit(), counted.toString());
        assertTrue(counted.stderr().contains("restored table public.t has 2 rows, the dump has 3"), counted.stderr());
        assertEquals(before, databases());
    }

    @Test
    void anInterruptedRestoreLeavesNoDatabaseBehind() throws Exception {
        List<String> before = databases();
        Path slow = dir.resolve("slow_backup_20260101_000000.sql");
        Files.writeString(slow, "CREATE TABLE public.t (a int);\nSELECT pg_sleep(60);\n"
                + "\n--\n-- PostgreSQL database dump complete\n--\n\n");
        Process restore = new ProcessBuilder(Installation.HOME.resolve("bin/walden").toString(), "restore", "--config",
                walden.config.toString(), slow.toString(), "-d", "interrupted").redirectErrorStream(true)
                .redirectOutput(dir.resolve("interrupted.log").toFile()).start();
        try {
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
            while (!databases().contains("interrupted_walden_restoring")) {
                assertTrue(System.nanoTime() < deadline, "the restore never started loading: "
                        + Files.readString(dir.resolve("interrupted.log")));
                Thread.sleep(100);
            }
            restore.destroy(); // SIGTERM, as Ctrl-C or a killed session would
            assertTrue(restore.waitFor(30, java.util.concurrent.TimeUnit.SECONDS));
        } finally {
            restore.destroyForcibly();
        }
        assertEquals(before, databases(), Files.readString(dir.resolve("interrupted.log")));
    }

    @Test
    void anUnknownOrUnverifiedDumpIsNamed() throws Exception {
        Installation.Run unknown = restore("app_backup_19990101_000000.sql");
        assertEquals(1, unknown.exit(), unknown.toString());
        assertTrue(unknown.stderr().contains("no dump 'app_backup_19990101_000000.sql' in the repository or on disk"),
                unknown.stderr());
        Installation.Run none = restore("latest:reports");
        assertEquals(1, none.exit());
        assertTrue(none.stderr().contains("database 'reports' has no verified dump"), none.stderr());
        // a dump file without its manifest: its dump failed or was interrupted
        Path unverified = walden.repository.resolve("dumps/app/app_backup_20000101_000000.sql");
        Files.copy(walden.repository.resolve(plainKey), unverified);
        try {
            Installation.Run run = restore("app_backup_20000101_000000.sql");
            assertEquals(1, run.exit(), run.toString());
            assertTrue(run.stderr().contains("dump dumps/app/app_backup_20000101_000000.sql was never verified"),
                    run.stderr());
        } finally {
            Files.delete(unverified);
        }
    }
}
