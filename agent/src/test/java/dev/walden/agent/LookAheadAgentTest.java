package dev.walden.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.push.WaldenPush;
import dev.walden.repo.Compression;
import dev.walden.repo.Repository;
import dev.walden.storage.FaultInjectingStorage;
import dev.walden.storage.MemoryStorage;
import dev.walden.wal.WalFileName;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent archiving ahead of PostgreSQL, with a real pg_wal layout (synthetic WAL) and a real
 * in-memory repository: files marked .ready are stored before anyone pushes them, a push then
 * answers from the index, a restart rebuilds the index without storing anything twice, and a
 * stalled repository never makes the agent acknowledge a file it has not stored.
 */
class LookAheadAgentTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;
    FakePgdata pg;
    FaultInjectingStorage storage;
    Agent agent;

    @BeforeEach
    void setUp() throws IOException {
        pg = new FakePgdata(dir);
        storage = new FaultInjectingStorage(new MemoryStorage());
        Repository.create(storage, FakePgdata.CLUSTER, Clock.systemUTC());
    }

    @AfterEach
    void tearDown() throws IOException {
        storage.release();
        if (agent != null) {
            agent.close();
        }
    }

    private Agent start(Duration storeTimeout) throws IOException {
        agent = Agent.start(new AgentConfig(pg.pgdata, pg.pgWal, dir.resolve("agent.sock"), Optional.empty(), 2, 64,
                storeTimeout, Duration.ofSeconds(5), Compression.LZ4, 0, true), storage, Clock.systemUTC());
        return agent;
    }

    /** PostgreSQL finishing a segment: the file, then its .ready marker. */
    private Path ready(String name, long seed) throws IOException {
        Path segment = pg.segment(name, seed);
        Files.createFile(pg.pgWal.resolve("archive_status").resolve(name + ".ready"));
        return segment;
    }

    private boolean stored(String name) throws IOException {
        return agent.repository().wal().find(WalFileName.parse(name)).isPresent();
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + WAIT + ": " + what);
            }
            Thread.sleep(20);
        }
    }

    private int push(Path file) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        return WaldenPush.run(new String[] {"--socket", dir.resolve("agent.sock").toString(), file.toString()},
                Map.of(), new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void readyFilesAreStoredBeforeAnyPushAndThePushesAnswerWithoutStoringAgain() throws Exception {
        start(Duration.ofSeconds(10));
        Path a = ready("000000010000000000000002", 2);
        Path b = ready("000000010000000000000003", 3);
        await("both stored ahead and counted (a job counts once its commit is done)", () -> {
            try {
                return stored("000000010000000000000002") && stored("000000010000000000000003")
                        && Integer.parseInt(agent.status().get("archived_count")) >= 2;
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        assertEquals("2", agent.status().get("archived_count"), "stored once each, nobody asked");
        int commits = storage.commits();
        assertEquals(0, push(a));
        assertEquals(0, push(b));
        assertEquals(commits, storage.commits(), "the pushes were answered from the index");
        assertEquals("2", agent.status().get("already_archived_count"));
        assertEquals("on", agent.status().get("look_ahead"));
    }

    @Test
    void aRestartRebuildsTheIndexAndStoresNothingTwice() throws Exception {
        start(Duration.ofSeconds(10));
        Path a = ready("000000010000000000000002", 2);
        await("stored ahead", () -> agent.stats().archived() == 1);
        agent.close();
        int commits = storage.commits();
        start(Duration.ofSeconds(10));
        await("index loaded", () -> "1".equals(agent.status().get("indexed_wal")));
        // the look-ahead confirms the file by its checksum; nothing is written
        Path b = ready("000000010000000000000003", 3);
        await("the new file stored ahead", () -> agent.stats().archived() == 1);
        assertEquals(commits + 1, storage.commits(), "only the new file was written");
        assertEquals(0, push(a));
        assertEquals(0, push(b));
        assertEquals(commits + 1, storage.commits());
        assertEquals("2", agent.status().get("indexed_wal"));
    }

    @Test
    void aStalledRepositoryNeverMakesTheAgentAcknowledgeWhatItHasNotStored() throws Exception {
        start(Duration.ofMillis(500));
        int commits = storage.commits();
        storage.stallWrites();
        Path a = ready("000000010000000000000002", 2);
        await("the look-ahead is stuck storing it", () -> agent.dispatcher().running() == 1);
        // PostgreSQL's push joins the stuck look-ahead and gets a timeout, not an OK
        assertEquals(WaldenPush.REFUSED, push(a));
        assertFalse(stored("000000010000000000000002"));
        assertEquals("0", agent.status().get("archived_count"));
        storage.release();
        await("stored once the repository answers", () -> agent.stats().archived() == 1);
        assertEquals(0, push(a));
        assertTrue(stored("000000010000000000000002"));
        assertEquals(commits + 1, storage.commits(), "one store for the look-ahead and both pushes");
    }

    @Test
    void aFileTheLookAheadCannotArchiveIsLeftToPostgresWithoutMakingTheAgentUnhealthy() throws Exception {
        start(Duration.ofSeconds(10));
        Path foreign = pg.foreignSegment("000000010000000000000002", 555L);
        Files.createFile(pg.pgWal.resolve("archive_status/000000010000000000000002.ready"));
        ready("000000010000000000000003", 3);
        await("the good file stored ahead", () -> agent.stats().archived() == 1);
        assertEquals("", agent.status().get("last_failure"), "nobody asked for the foreign file yet");
        assertEquals(WaldenPush.REFUSED, push(foreign), "PostgreSQL's own push is refused, with the reason");
        assertTrue(agent.status().get("last_failure").contains("belongs to database system 555"));
        // files stored ahead after it don't make archiving look healthy: PostgreSQL is stuck on the foreign one
        ready("000000010000000000000004", 4);
        await("stored ahead", () -> agent.stats().archived() == 2);
        assertTrue(agent.stats().lastAnsweredOk().isEmpty(), "health compares failures with answers, not stores");
        assertTrue(agent.stats().lastArchivedAt().isPresent());
    }
}
