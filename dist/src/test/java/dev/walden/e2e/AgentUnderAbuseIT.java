package dev.walden.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.postgres.LocalCluster;
import dev.walden.protocol.ErrorCode;
import dev.walden.protocol.ErrorReply;
import dev.walden.protocol.Frame;
import dev.walden.protocol.FrameCodec;
import dev.walden.protocol.FrameType;
import dev.walden.protocol.PushRequest;
import dev.walden.protocol.RawConnection;
import dev.walden.protocol.StatusReply;
import dev.walden.repo.StoredWal;
import dev.walden.storage.posix.PosixStorage;
import dev.walden.wal.WalFileName;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real agent process (bin/walden agent) against clients that abuse its socket: one that
 * pipelines requests and never reads the replies, connections that drip a frame a byte at a time,
 * and a flood of connections beyond agent.max_connections. Each time the agent stays small and
 * keeps answering PostgreSQL's walden-push. And it starts only where its file descriptor limit
 * holds agent.max_connections besides what it needs for itself.
 */
class AgentUnderAbuseIT {
    private static final long MIB = 1024 * 1024;
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final String FIRST_SEGMENT = "000000010000000000000001";

    @TempDir
    Path dir;
    Installation walden;
    LocalCluster cluster;

    @AfterEach
    void tearDown() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
        if (walden != null) {
            walden.close();
        }
    }

    /** A cluster made by initdb (not started), its repository, and the agent with {@code settings}. */
    private void startAgent(String... settings) throws Exception {
        startAgent(false, settings);
    }

    /** The same; with {@code running}, PostgreSQL runs too and walden may connect to it (base backups). */
    private void startAgent(boolean running, String... settings) throws Exception {
        Path clusterDir = dir.resolve("pg");
        walden = new Installation(dir, clusterDir.resolve("data"));
        cluster = walden.initCluster(clusterDir, Map.of());
        if (settings.length > 0) {
            walden.configure(settings);
        }
        walden.init();
        if (running) {
            walden.connectTo(cluster);
            cluster.start();
        }
        walden.startAgent();
    }

    @Test
    void aClientThatPipelinesWithoutReadingCostsTheAgentAtMost64MiB() throws Exception {
        startAgent();
        long pid;
        // warm up first (JIT, the heap's young generation), so that growth below is the abuse's alone
        try (RawConnection warm = RawConnection.open(walden.socket)) {
            Frame status = null;
            for (int i = 0; i < 5000; i++) {
                warm.send(Frame.of(FrameType.STATUS), WAIT);
                status = warm.read(WAIT);
            }
            pid = Long.parseLong(StatusReply.fromFrame(status).values().get("pid"));
        }
        long before = residentBytes(pid);
        byte[] chunk = new byte[8192 * FrameCodec.HEADER_LENGTH]; // 8192 STATUS requests, 64 KiB
        byte[] one = FrameCodec.encode(Frame.of(FrameType.STATUS));
        for (int i = 0; i < chunk.length; i += one.length) {
            System.arraycopy(one, 0, chunk, i, one.length);
        }
        long peak = before;
        long sent = 0;
        long start = System.nanoTime();
        try (RawConnection abuser = RawConnection.open(walden.socket)) {
            ByteBuffer pending = ByteBuffer.wrap(chunk);
            long lastTaken = System.nanoTime();
            long lastSample = 0;
            // send for 15 s at most, 64 MiB of requests at most, and stop once the agent has taken nothing for 3 s
            while (System.nanoTime() - start < TimeUnit.SECONDS.toNanos(15) && sent < 64 * MIB
                    && System.nanoTime() - lastTaken < TimeUnit.SECONDS.toNanos(3)) {
                int n = abuser.offer(pending);
                if (!pending.hasRemaining()) {
                    pending.rewind();
                }
                sent += n;
                if (n > 0) {
                    lastTaken = System.nanoTime();
                } else {
                    Thread.sleep(5);
                }
                if (System.nanoTime() - lastSample > TimeUnit.MILLISECONDS.toNanos(100)) {
                    lastSample = System.nanoTime();
                    peak = Math.max(peak, residentBytes(pid));
                }
            }
            // the client keeps the connection and still reads nothing: the agent must not grow meanwhile
            for (int i = 0; i < 20; i++) {
                Thread.sleep(100);
                peak = Math.max(peak, residentBytes(pid));
            }
        }
        long sending = System.nanoTime() - start;
        try (RawConnection ping = RawConnection.open(walden.socket)) {
            ping.send(Frame.of(FrameType.PING), WAIT);
            assertEquals(Frame.ok("pong"), ping.read(WAIT), "the agent answers a ping after the abuse");
        }
        Thread.sleep(2000);
        long after = residentBytes(pid);
        String figures = String.format("RSS %d MiB before, peak %d MiB, %d MiB after the connection closed; "
                        + "the client sent %d KiB of STATUS requests in %d ms", before / MIB, peak / MIB, after / MIB,
                sent / 1024, TimeUnit.NANOSECONDS.toMillis(sending));
        System.out.println("aClientThatPipelinesWithoutReadingCostsTheAgentAtMost64MiB: " + figures);
        assertTrue(peak - before <= 64 * MIB, "the agent grew by more than 64 MiB: " + figures);
        assertTrue(after - before <= 64 * MIB, "the agent kept more than 64 MiB: " + figures);
        assertTrue(sent < 16 * MIB, "the agent stopped reading the requests it could not answer: " + figures);
    }

    @Test
    void aFloodBeyondMaxConnectionsIsRefusedAndARealPushIsStillAnsweredWithinASecond() throws Exception {
        // real segments, kept in pg_wal unarchived (no archive_mode, no look-ahead) for walden-push to push by hand
        Path clusterDir = dir.resolve("pg");
        walden = new Installation(dir, clusterDir.resolve("data"));
        cluster = walden.initCluster(clusterDir, Map.of("archive_mode", "off"));
        walden.configure("agent.max_connections = 200", "agent.look_ahead = off");
        walden.init();
        cluster.start();
        List<String> segments = Archiver.switchSegments(cluster, 3);
        cluster.stop();
        walden.startAgent();
        // a resident agent has archived segments before: the JIT has compiled the archiving path
        for (String warm : segments.subList(0, 2)) {
            Timed run = push(cluster.pgWal().resolve(warm));
            assertEquals(0, run.run().exit(), run.toString());
        }
        Path segment = cluster.pgWal().resolve(segments.get(2));
        List<RawConnection> held = new ArrayList<>();
        try {
            for (int i = 0; i < 200; i++) {
                RawConnection c = RawConnection.open(walden.socket);
                held.add(c);
                c.send(Frame.of(FrameType.PING), WAIT);
                assertEquals(Frame.ok("pong"), c.read(WAIT), "connection " + i + " of 200 is served");
            }
            for (int i = 0; i < 50; i++) {
                try (RawConnection c = RawConnection.open(walden.socket)) {
                    Frame refusal = c.read(WAIT);
                    assertNotNull(refusal, "connection " + (201 + i) + " closed without a word");
                    ErrorReply error = ErrorReply.fromFrame(refusal);
                    assertEquals(ErrorCode.TOO_MANY_CONNECTIONS, error.knownCode(), error.toString());
                    assertTrue(error.message().startsWith("the agent already serves 200 connections, the most "
                            + "agent.max_connections allows"), error.message());
                    assertTrue(c.closedWithin(WAIT), "closed after the refusal");
                }
            }

            // the flood goes on while PostgreSQL's archiver pushes: told at once why, not left waiting
            AtomicBoolean stop = new AtomicBoolean();
            AtomicInteger flooded = new AtomicInteger();
            Thread flood = new Thread(() -> {
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (!stop.get() && System.nanoTime() < end) {
                    try {
                        RawConnection.open(walden.socket).close(); // refused, or served and closed at once
                        flooded.incrementAndGet();
                    } catch (IOException e) {
                        // the backlog is full for a moment: the flood tries again
                    }
                }
            }, "flood");
            flood.start();
            Timed refused;
            try {
                refused = push(segment);
            } finally {
                stop.set(true);
                flood.join(TimeUnit.SECONDS.toMillis(70));
            }
            assertEquals(5, refused.run().exit(), refused.toString()); // WaldenPush.REFUSED: PostgreSQL retries
            assertTrue(refused.run().stderr().contains("the most agent.max_connections allows")
                    && refused.run().stderr().endsWith("[too_many_connections]\n"), refused.toString());
            assertTrue(refused.millis() < 1000, "refused in " + refused);
            assertTrue(flooded.get() > 0, "the flood ran alongside the push");

            // two of the 200 go; with the rest still held, the next push is archived within a second
            held.remove(0).close();
            held.remove(0).close();
            awaitServed();
            Timed pushed = push(segment);
            assertEquals(0, pushed.run().exit(), pushed.toString());
            assertTrue(pushed.millis() < 1000, "archived in " + pushed + "; the agent's log:\n" + walden.agentLog());
            assertEquals(1, new PosixStorage(walden.repository)
                    .list(StoredWal.prefixFor(WalFileName.parse(segments.get(2)))).size());
            System.out.println("aFloodBeyondMaxConnections: refused push " + refused.millis() + " ms with "
                    + flooded.get() + " flood connections alongside, archived push " + pushed.millis() + " ms");

            long refusalLines = walden.agentLog().lines().filter(l -> l.contains("refused") && l.contains("connection"))
                    .count();
            assertTrue(refusalLines >= 1 && refusalLines <= 2, refusalLines + " log lines for " + (51 + flooded.get())
                    + " refused connections:\n" + walden.agentLog());
        } finally {
            for (RawConnection c : held) {
                c.close();
            }
        }
    }

    private record Timed(Installation.Run run, long millis) {
        @Override
        public String toString() {
            return millis + " ms: " + run;
        }
    }

    /** bin/walden-push of {@code segment}, as PostgreSQL's archive_command runs it, timed. */
    private Timed push(Path segment) throws Exception {
        long begin = System.nanoTime();
        Installation.Run run = walden.push(cluster.pgdata(), "--config", walden.config.toString(), segment.toString());
        return new Timed(run, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - begin));
    }

    /** Waits (10 s at most) until a new connection is served: the agent has counted closed ones out. */
    private void awaitServed() throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            try (RawConnection probe = RawConnection.open(walden.socket)) {
                try {
                    probe.send(Frame.of(FrameType.PING), WAIT);
                } catch (IOException e) {
                    // refused before the request went out; the refusal is there to read
                }
                if (Frame.ok("pong").equals(probe.read(WAIT))) {
                    return;
                }
            }
            assertTrue(System.nanoTime() < deadline, "no connection served after two closed");
            Thread.sleep(20);
        }
    }

    @Test
    void connectionsThatDripARequestAreClosedAtTheFrameTimeoutWhileABackupRunsOn() throws Exception {
        startAgent(true, "agent.frame_timeout = 1s");
        // a base backup streams progress for longer than the frame timeout; the timeout must not cut it
        Frame[] backupReply = new Frame[1];
        IOException[] backupFailure = new IOException[1];
        long[] backupMillis = new long[1];
        Thread backup = new Thread(() -> {
            long begin = System.nanoTime();
            try (RawConnection c = RawConnection.open(walden.socket)) {
                c.send(new Frame(FrameType.BACKUP, "AgentUnderAbuseIT".getBytes(StandardCharsets.UTF_8)),
                        WAIT);
                Frame frame;
                do {
                    frame = c.read(Duration.ofSeconds(60));
                } while (frame != null && (frame.type() == FrameType.PROGRESS || frame.type() == FrameType.METER));
                backupReply[0] = frame;
            } catch (IOException e) {
                backupFailure[0] = e;
            }
            backupMillis[0] = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - begin);
        }, "backup");
        backup.start();

        RawConnection silent = RawConnection.open(walden.socket); // connected, says nothing: the idle timeout's case
        byte[] request = FrameCodec.encode(new PushRequest(cluster.pgWal().resolve(FIRST_SEGMENT).toString()).toFrame());
        int n = 20;
        List<RawConnection> lorises = new ArrayList<>();
        long[] firstByte = new long[n];
        long[] closedAfter = new long[n];
        int[] sent = new int[n];
        try {
            for (int i = 0; i < n; i++) {
                lorises.add(RawConnection.open(walden.socket));
                firstByte[i] = System.nanoTime();
                lorises.get(i).send(new byte[] {request[0]}, WAIT);
                sent[i] = 1;
            }
            // a byte every 100 ms each: a request would take 8 s; 15 s at most in all
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
            int open = n;
            while (open > 0 && System.nanoTime() < end) {
                Thread.sleep(100);
                for (int i = 0; i < n; i++) {
                    if (closedAfter[i] != 0 || sent[i] == request.length) {
                        continue;
                    }
                    try {
                        lorises.get(i).offer(ByteBuffer.wrap(request, sent[i], 1));
                        sent[i]++;
                    } catch (IOException e) { // the agent closed it
                        closedAfter[i] = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - firstByte[i]);
                        open--;
                    }
                }
            }
            for (int i = 0; i < n; i++) {
                String which = "connection " + i + " (" + sent[i] + " of " + request.length + " bytes sent, closed after "
                        + closedAfter[i] + " ms)";
                assertTrue(closedAfter[i] >= 1000 && closedAfter[i] < 6000, which + ": not closed by the 1 s timeout");
                assertTrue(sent[i] >= 5 && sent[i] < request.length, which);
                Frame frame = lorises.get(i).read(WAIT);
                assertNotNull(frame, which + ": no ERROR before the close");
                assertEquals(ErrorCode.FRAME_TIMEOUT, ErrorReply.fromFrame(frame).knownCode(), which);
                assertTrue(lorises.get(i).closedWithin(WAIT), which);
            }
            long warnings = walden.agentLog().lines().filter(l -> l.contains("level=WARN")
                    && l.contains("request not complete 1s after its first byte")).count();
            assertEquals(n, warnings, walden.agentLog());

            silent.send(Frame.of(FrameType.PING), WAIT);
            assertEquals(Frame.ok("pong"), silent.read(WAIT), "a silent connection is the idle timeout's, not this one's");
        } finally {
            silent.close();
            for (RawConnection c : lorises) {
                c.close();
            }
            backup.join(TimeUnit.SECONDS.toMillis(120));
        }
        assertNotNull(backupReply[0], "the backup's connection was closed: " + backupFailure[0]);
        assertEquals(FrameType.OK, backupReply[0].type(), backupReply[0].bodyText());
        assertTrue(backupMillis[0] > 1000, "the backup took " + backupMillis[0] + " ms, less than the 1 s frame timeout: "
                + "this test would not show that the timeout leaves it alone");
    }

    @Test
    void theAgentStartsOnlyIfTheDescriptorLimitHoldsMaxConnectionsAndItsOwnReserve() throws Exception {
        Path clusterDir = dir.resolve("pg");
        walden = new Installation(dir, clusterDir.resolve("data"));
        cluster = walden.initCluster(clusterDir, Map.of());
        walden.init();
        // java run with a hard limit of 1024 descriptors (as a container or an old systemd unit might set), which
        // the JVM can't raise as it raises the soft limit
        Path limitedJava = dir.resolve("java-1024");
        Files.writeString(limitedJava, "#!/bin/sh\nulimit -n 1024 || exit 99\nexec '"
                + Path.of(System.getProperty("java.home"), "bin", "java") + "' \"$@\"\n");
        Files.setPosixFilePermissions(limitedJava, PosixFilePermissions.fromString("rwx------"));
        walden.environment(Map.of("WALDEN_JAVA", limitedJava.toString()));

        walden.startAgent(); // the default agent.max_connections fits
        long pid;
        try (RawConnection c = RawConnection.open(walden.socket)) {
            c.send(Frame.of(FrameType.STATUS), WAIT);
            pid = Long.parseLong(StatusReply.fromFrame(c.read(WAIT)).values().get("pid"));
        }
        assertTrue(Files.readAllLines(Path.of("/proc/" + pid + "/limits")).stream()
                .anyMatch(l -> l.matches("Max open files\\s+1024\\s+1024\\s+files\\s*")), "the agent runs with 1024");
        assertEquals(0, walden.stopAgent());

        Installation.Run run = Installation.run(dir, Path.of("/dev/null"), Map.of("WALDEN_JAVA", limitedJava.toString(),
                        "WALDEN_AGENT_MAX_CONNECTIONS", "600"), Installation.HOME.resolve("bin/walden").toString(),
                "agent", "--config", walden.config.toString());
        assertEquals(1, run.exit(), run.toString());
        assertTrue(run.stderr().matches("(?s).*walden agent: agent.max_connections = 600 needs \\d+ file descriptors "
                + "\\(\\d+ open now, 512 kept for archiving, look-ahead, repository scans, the HTTP endpoint and backups\\), "
                + "but this process may open only 1024 \\(RLIMIT_NOFILE\\); lower agent.max_connections to at most \\d+ "
                + "or raise the limit \\(ulimit -n, systemd: LimitNOFILE=\\)\n"), run.toString());
    }

    /** VmRSS of process {@code pid}, in bytes. */
    private static long residentBytes(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D+", "")) * 1024;
            }
        }
        throw new IOException("no VmRSS in /proc/" + pid + "/status");
    }
}
