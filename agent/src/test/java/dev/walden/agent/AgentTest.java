package dev.walden.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.push.WaldenPush;
import dev.walden.repo.Compression;
import dev.walden.repo.Repository;
import dev.walden.storage.FaultInjectingStorage;
import dev.walden.storage.MemoryStorage;
import dev.walden.storage.posix.PosixStorage;
import dev.walden.wal.ClusterIdentity;
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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent wired for real (socket, Netty, dispatcher, archiver) with walden-push's own client code. */
class AgentTest {
    @TempDir
    Path dir;
    FakePgdata pg;
    FaultInjectingStorage storage;
    Agent agent;

    @BeforeEach
    void setUp() throws IOException {
        pg = new FakePgdata(dir);
        storage = new FaultInjectingStorage(new MemoryStorage());
        Repository.create(storage, FakePgdata.CLUSTER, Clock.systemUTC()); // walden init
    }

    @AfterEach
    void tearDown() throws IOException {
        storage.release();
        if (agent != null) {
            agent.close();
        }
    }

    private AgentConfig config(Duration storeTimeout) {
        return new AgentConfig(pg.pgdata, pg.pgWal, dir.resolve("agent.sock"), Optional.empty(), 2, 64, storeTimeout,
                Duration.ofSeconds(5), Compression.LZ4, 0, false);
    }

    private Agent start(Duration storeTimeout) throws IOException {
        agent = Agent.start(config(storeTimeout), storage, Clock.systemUTC());
        return agent;
    }

    private record Run(int exit, String out, String err) {
    }

    private Run push(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        String[] full = new String[args.length + 2];
        full[0] = "--socket";
        full[1] = dir.resolve("agent.sock").toString();
        System.arraycopy(args, 0, full, 2, args.length);
        int exit = WaldenPush.run(full, Map.of(), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void pushesASegmentAndReportsItInStatus() throws IOException {
        start(Duration.ofSeconds(10));
        Path segment = pg.segment("000000010000000000000002", 2);
        Run run = push("--verbose", segment.toString());
        assertEquals(0, run.exit(), run.err());
        assertTrue(run.out().startsWith("walden-push: archived '000000010000000000000002'"), run.out());
        assertTrue(agent.repository().wal().find(WalFileName.parse("000000010000000000000002")).isPresent());
        assertEquals("1", agent.status().get("archived_count"));
        assertEquals("000000010000000000000002", agent.status().get("last_archived_wal"));
        assertEquals(0, push("--ping").exit());
    }

    @Test
    void refusalsReachTheClientAsOneLine() throws IOException {
        start(Duration.ofSeconds(10));
        Run outside = push("/etc/passwd");
        assertEquals(WaldenPush.REFUSED, outside.exit());
        assertEquals("walden-push: '/etc/passwd' not archived: 'passwd' is not a WAL file name (expected a segment, "
                + ".partial, .backup or .history name) [bad_name]\n", outside.err());
        Path foreign = pg.foreignSegment("000000010000000000000003", 555L);
        Run refused = push(foreign.toString());
        assertEquals(WaldenPush.REFUSED, refused.exit());
        assertTrue(refused.err().contains("belongs to database system 555") && refused.err().endsWith("[foreign_system]\n"),
                refused.err());
        assertEquals(1, refused.err().lines().count());
        assertEquals("2", agent.status().get("failed_count"));
    }

    @Test
    void aFullDiskIsReportedAndTheRetrySucceeds() throws IOException {
        start(Duration.ofSeconds(10));
        Path segment = pg.segment("000000010000000000000004", 4);
        storage.failWrite(1, "No space left on device");
        Run full = push(segment.toString());
        assertEquals(WaldenPush.REFUSED, full.exit());
        assertTrue(full.err().contains("No space left on device") && full.err().endsWith("[storage_failed]\n"),
                full.err());
        assertEquals(0, push(segment.toString()).exit());
    }

    @Test
    void aStalledStorageCostsATimeoutNotAHang() throws IOException {
        start(Duration.ofMillis(500));
        Path segment = pg.segment("000000010000000000000005", 5);
        storage.stallWrites();
        long begin = System.nanoTime();
        Run stalled = push("--timeout", "20s", segment.toString());
        long took = System.nanoTime() - begin;
        assertEquals(WaldenPush.REFUSED, stalled.exit());
        assertTrue(stalled.err().contains("was not stored within 500ms") && stalled.err().endsWith("[storage_timeout]\n"),
                stalled.err());
        assertTrue(took < Duration.ofSeconds(10).toNanos(), "answered by the agent's deadline, not the client's");
        storage.release();
        // PostgreSQL's retry: the stalled write completed meanwhile, or completes now
        assertEquals(0, push("--timeout", "20s", segment.toString()).exit());
    }

    @Test
    void withoutAnAgentPushFailsFastWithExitCode3() {
        long begin = System.nanoTime();
        Run run = push(pg.pgWal.resolve("000000010000000000000001").toString());
        assertEquals(WaldenPush.AGENT_NOT_RUNNING, run.exit());
        assertTrue(run.err().contains("agent not running: no socket at"), run.err());
        assertTrue(System.nanoTime() - begin < Duration.ofSeconds(5).toNanos());
    }

    @Test
    void aSecondAgentOnTheSameSocketRefusesToStart() throws IOException {
        start(Duration.ofSeconds(10));
        MemoryStorage otherRepository = new MemoryStorage();
        Repository.create(otherRepository, FakePgdata.CLUSTER, Clock.systemUTC());
        IOException e = assertThrows(IOException.class, () -> Agent.start(config(Duration.ofSeconds(10)),
                otherRepository, Clock.systemUTC()));
        assertTrue(e.getMessage().startsWith("another agent (pid "), e.getMessage());
        assertEquals(0, push("--ping").exit(), "the first agent keeps serving");
    }

    @Test
    void aSecondAgentOnTheSameRepositoryRefusesToStart() throws IOException {
        start(Duration.ofSeconds(10));
        AgentConfig otherSocket = new AgentConfig(pg.pgdata, pg.pgWal, dir.resolve("other.sock"), Optional.empty(), 1,
                64, Duration.ofSeconds(5), Duration.ofSeconds(5), Compression.NONE, 0, false);
        IOException e = assertThrows(IOException.class, () -> Agent.start(otherSocket, storage, Clock.systemUTC()));
        assertTrue(e.getMessage().contains("walden agent (pid " + ProcessHandle.current().pid())
                && e.getMessage().endsWith("one agent per repository"), e.getMessage());
        agent.close();
        agent = Agent.start(otherSocket, storage, Clock.systemUTC()); // the lock went with the first agent
    }

    @Test
    void withoutARepositoryTheAgentSaysToRunInit() {
        IOException e = assertThrows(IOException.class, () -> Agent.start(config(Duration.ofSeconds(10)),
                new MemoryStorage(), Clock.systemUTC()));
        assertTrue(e.getMessage().contains("create it with 'walden init'"), e.getMessage());
    }

    @Test
    void aRepositoryOfAnotherClusterIsRefusedAtStart() throws IOException {
        PosixStorage shared = PosixStorage.create(dir.resolve("repo"));
        Repository.create(shared, FakePgdata.CLUSTER, Clock.systemUTC());
        FakePgdata other = new FakePgdata(dir.resolve("other"));
        ClusterIdentity.writeMadeUpControlFile(other.pgdata, 99L);
        other.foreignSegment("000000010000000000000001", 99L);
        AgentConfig otherConfig = new AgentConfig(other.pgdata, other.pgWal, dir.resolve("other.sock"),
                Optional.empty(), 1, 64, Duration.ofSeconds(5), Duration.ofSeconds(5), Compression.NONE, 0, false);
        IOException e = assertThrows(IOException.class, () -> Agent.start(otherConfig, shared, Clock.systemUTC()));
        assertTrue(e.getMessage().contains("belongs to system 7400000000000000001")
                && e.getMessage().contains("not to this cluster, system 99"), e.getMessage());
    }
}
