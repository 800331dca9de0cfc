package dev.walden.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.catalog.BackupManifest;
import dev.walden.postgres.LocalCluster;
import dev.walden.repo.Repository;
import dev.walden.storage.StorageLock;
import dev.walden.storage.posix.PosixStorage;
import dev.walden.wal.WalFileName;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Base backups of a PostgreSQL 15 cluster with data checksums, taken by walden and restored by hand. */
class BaseBackupIT {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path dir;
    Installation walden;
    LocalCluster cluster;

    @BeforeEach
    void setUp() throws Exception {
        Path clusterDir = dir.resolve("pg");
        walden = new Installation(dir, clusterDir.resolve("data"));
        cluster = walden.initCluster(Installation.pgBin(), clusterDir, Map.of(), List.of("--data-checksums"));
        walden.connectTo(cluster);
        walden.init();
        walden.startAgent();
        cluster.start();
    }

    @AfterEach
    void tearDown() throws Exception {
        cluster.close();
        walden.close();
    }

    @Test
    void aBackupTakenUnderConcurrentWritesRestoresByHandWithEveryCommittedRow() throws Exception {
        Path tablespace = Files.createDirectories(dir.resolve("ts1"));
        cluster.execute("CREATE TABLE orders (id bigserial PRIMARY KEY, note text)",
                "CREATE UNLOGGED TABLE scratch AS SELECT g FROM generate_series(1, 5000) g",
                "CREATE TABLESPACE ts1 LOCATION '" + tablespace + "'",
                "CREATE TABLE archived_orders TABLESPACE ts1 AS SELECT g AS id, md5(g::text) AS note "
                        + "FROM generate_series(1, 20000) g");
        String unlogged = cluster.queryOne("SELECT pg_relation_filepath('scratch')");
        Path strayTemp = Files.createDirectories(cluster.pgdata().resolve("base/pgsql_tmp")).resolve("pgsql_tmp999.0");
        Files.write(strayTemp, new byte[8192]);

        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicLong committed = new AtomicLong();
        Thread writer = new Thread(() -> {
            try (Connection c = cluster.connect(); Statement s = c.createStatement()) {
                while (writing.get()) {
                    s.execute("INSERT INTO orders (note) SELECT md5(random()::text) FROM generate_series(1, 50)");
                    committed.addAndGet(50);
                }
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        String tempRelation;
        try (Connection session = cluster.connect(); Statement s = session.createStatement()) {
            s.execute("CREATE TEMP TABLE session_scratch AS SELECT g FROM generate_series(1, 1000) g");
            tempRelation = cluster.queryOne("SELECT 1"); // keep the session, and its temp files, alive
            writer.start();
            Installation.Run backup = walden.walden("backup", "--config", walden.config.toString());
            assertEquals(0, backup.exit(), backup.toString());
            assertTrue(backup.stdout().contains("the agent on") && backup.stdout().contains("complete"), backup.stdout());
        } finally {
            writing.set(false);
            writer.join();
        }
        assertEquals("1", tempRelation);
        long expectedOrders = Long.parseLong(cluster.queryOne("SELECT count(*) FROM orders"));
        assertTrue(expectedOrders >= committed.get() && committed.get() > 0);
        List<String> after = Archiver.switchSegments(cluster, 1);
        Archiver.awaitArchived(cluster, after.get(0), WAIT);

        BackupManifest manifest = HandRestore.newest(walden.repository);
        assertTrue(manifest.isComplete(), manifest.status() + ": " + manifest.statusDetail());
        assertTrue(manifest.dataChecksums());
        assertEquals(List.of(), manifest.checksumFailures(), "every page of a healthy cluster verifies");
        Set<String> paths = manifest.files().stream().map(BackupManifest.BackupFile::path).collect(Collectors.toSet());
        assertTrue(paths.contains(unlogged + "_init"), "an unlogged table keeps its init fork");
        assertFalse(paths.contains(unlogged), "but not its data");
        assertTrue(paths.stream().noneMatch(p -> p.contains("pgsql_tmp")), "temporary files are not copied");
        assertTrue(paths.stream().noneMatch(p -> p.matches(".*/t\\d+_\\d+.*")), "temporary relations are not copied");
        assertTrue(paths.stream().noneMatch(p -> p.startsWith("pg_wal/")), "pg_wal's contents are not copied");
        assertFalse(paths.contains("postmaster.pid"));
        assertTrue(paths.contains("backup_label") && paths.contains("tablespace_map"), "from pg_backup_stop");
        assertFalse(Files.exists(cluster.pgdata().resolve("backup_label")), "never written into the live PGDATA");
        assertEquals("global/pg_control", manifest.files().get(manifest.files().size() - 1).path(), "copied last");
        assertEquals(1, manifest.tablespaces().size());
        Repository repository = Repository.open(new PosixStorage(walden.repository));
        for (String wal : List.of(manifest.startWal(), manifest.stopWal())) {
            assertTrue(repository.wal().find(WalFileName.parse(wal)).isPresent(), wal);
        }

        Path restored = dir.resolve("restored/data");
        HandRestore.restore(walden.repository, manifest, restored, dir.resolve("restored/tablespaces"));
        try (RecoveredCluster copy = RecoveredCluster.start(cluster.bin(), restored, walden.restoreCommand())) {
            assertEquals(Long.toString(expectedOrders), copy.query("SELECT count(*) FROM orders"),
                    "every committed row, including those written during the backup");
            assertEquals("20000", copy.query("SELECT count(*) FROM archived_orders"), "the tablespace came back");
            assertEquals("0", copy.query("SELECT count(*) FROM scratch"), "an unlogged table comes back empty");
            assertTrue(copy.log().contains("consistent recovery state reached"), copy.log());
        }
    }

    @Test
    void aSecondBackupWhileOneRunsIsRefusedSayingWhoHoldsTheLock() throws Exception {
        try (StorageLock held = new PosixStorage(walden.repository).lock("backup",
                "walden backup (pid 4242 on db1), started by this test")) {
            Installation.Run backup = walden.walden("backup", "--config", walden.config.toString());
            assertEquals(1, backup.exit(), backup.toString());
            assertTrue(backup.stderr().contains("a base backup is already running: walden backup (pid 4242 on db1), "
                    + "started by this test"), backup.stderr());
            assertTrue(held != null);
        }
        assertEquals(0, walden.walden("backup", "--config", walden.config.toString()).exit(), "free again");
    }

    @Test
    void aCorruptPageIsReportedAndTheBackupStillCompletes() throws Exception {
        // frozen and left alone, so PostgreSQL has no reason to write these pages again
        cluster.execute("CREATE TABLE ledger WITH (autovacuum_enabled = off) AS SELECT g AS id, md5(g::text) AS note "
                + "FROM generate_series(1, 2000) g", "VACUUM FREEZE ledger", "CHECKPOINT");
        Path file = cluster.pgdata().resolve(cluster.queryOne("SELECT pg_relation_filepath('ledger')"));
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.write(ByteBuffer.wrap("bit rot".getBytes()), 8192 + 4000); // block 1, mid-page
        }
        Installation.Run backup = walden.walden("backup", "--config", walden.config.toString());
        assertEquals(0, backup.exit(), backup.toString());
        assertTrue(backup.stdout().contains("1 page(s) failed their checksum twice"), backup.stdout());
        BackupManifest manifest = HandRestore.newest(walden.repository);
        assertEquals(List.of(new BackupManifest.PageFailure(cluster.pgdata().relativize(file).toString(), 1)),
                manifest.checksumFailures());
    }

    @Test
    void withoutTheAgentTheBackupRunsDirectlyAndArchivesItsOwnWal() throws Exception {
        cluster.execute("CREATE TABLE t AS SELECT g FROM generate_series(1, 1000) g");
        walden.stopAgent();
        Installation.Run backup = walden.walden("backup", "--config", walden.config.toString());
        assertEquals(0, backup.exit(), backup.toString());
        assertFalse(backup.stdout().contains("the agent on"), backup.stdout());
        BackupManifest manifest = HandRestore.newest(walden.repository);
        assertTrue(manifest.isComplete(), manifest.statusDetail());
        Repository repository = Repository.open(new PosixStorage(walden.repository));
        assertTrue(repository.wal().find(WalFileName.parse(manifest.stopWal())).isPresent(),
                "archived by the backup itself while PostgreSQL's archiver could not reach an agent");
        Installation.Run list = walden.walden("list", "--config", walden.config.toString());
        assertEquals(0, list.exit(), list.toString());
        assertTrue(list.stdout().contains(manifest.label() + "  full usable"), list.stdout());
        assertTrue(list.stdout().contains("Recoverable: from "), list.stdout());
    }

    @Test
    void aBackupKilledBeforeItsFirstFileIsCopiedIsListedAsInterruptedAndNeverRecoveredFrom() throws Exception {
        walden.stopAgent(); // the backup runs in the walden process itself, which is killed
        walden.configure("backup.workers = 1");
        // copied first (biggest first) and alone: still being copied when the backup is killed
        try (RandomAccessFile big = new RandomAccessFile(cluster.pgdata().resolve("walden_it_big_file").toFile(), "rw")) {
            big.setLength(4L << 30); // sparse: no disk used
        }
        Process backup = new ProcessBuilder(Installation.HOME.resolve("bin/walden").toString(), "backup", "--config",
                walden.config.toString()).redirectErrorStream(true).redirectOutput(dir.resolve("backup.log").toFile())
                .start();
        try {
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (!copying(walden.repository.resolve("backups"))) {
                assertTrue(backup.isAlive() && System.nanoTime() < deadline, "the copy never began: "
                        + Files.readString(dir.resolve("backup.log")));
                Thread.sleep(10);
            }
        } finally {
            backup.destroyForcibly();
            backup.waitFor(60, java.util.concurrent.TimeUnit.SECONDS);
        }
        assertTrue(Files.readString(dir.resolve("backup.log")).contains("copying "), "killed while copying");

        Installation.Run list = walden.walden("list", "--config", walden.config.toString(), "--json");
        assertEquals(0, list.exit(), list.toString());
        com.fasterxml.jackson.databind.JsonNode backups = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(list.stdout()).get("backups");
        assertEquals(1, backups.size(), list.stdout());
        assertEquals("incomplete", backups.get(0).get("status").asText());
        assertFalse(backups.get(0).get("usable").asBoolean());
        assertTrue(backups.get(0).get("status_detail").asText().startsWith("interrupted (walden backup (pid "),
                list.stdout());
        Installation.Run text = walden.walden("list", "--config", walden.config.toString());
        assertTrue(text.stdout().contains(backups.get(0).get("label").asText() + "  full incomplete  "), text.stdout());
        assertTrue(text.stdout().contains("Recoverable: nothing yet"), text.stdout());

        Installation.Run recover = walden.walden("recover", "--config", walden.config.toString(), "--immediate",
                "--no-start", "--pgdata", dir.resolve("recovered").toString());
        assertEquals(1, recover.exit(), recover.toString());
        assertTrue(recover.stderr().contains("no usable base backup"), recover.stderr());
        assertFalse(Files.exists(dir.resolve("recovered")), "nothing restored from it");
    }

    /** Whether a file is being written under {@code backups}: a temporary file, not yet an object. */
    private static boolean copying(Path backups) throws java.io.IOException {
        if (!Files.isDirectory(backups)) {
            return false;
        }
        try (java.util.stream.Stream<Path> files = Files.walk(backups)) {
            return files.anyMatch(p -> p.getFileName().toString().startsWith(".walden_it_big_file"));
        } catch (java.io.UncheckedIOException | java.nio.file.NoSuchFileException e) {
            return false; // a temporary file renamed while we looked
        }
    }
}
