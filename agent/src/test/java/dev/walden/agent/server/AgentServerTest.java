package dev.walden.agent.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.agent.archive.AgentMetrics;
import dev.walden.agent.archive.AgentStats;
import dev.walden.agent.archive.AnyPath;
import dev.walden.agent.archive.ArchiveDispatcher;
import dev.walden.agent.archive.ArchiveResult;
import dev.walden.protocol.ErrorCode;
import dev.walden.protocol.ErrorReply;
import dev.walden.protocol.Frame;
import dev.walden.protocol.FrameCodec;
import dev.walden.protocol.FrameType;
import dev.walden.protocol.RawConnection;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The server on a real Unix domain socket, against clients that don't behave. */
class AgentServerTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path dir;
    private final AtomicInteger statusRequests = new AtomicInteger();
    private final List<RawConnection> connections = new ArrayList<>();
    private ArchiveDispatcher dispatcher;
    private AgentSocket socket;
    private AgentServer server;

    private void start(int maxConnections) throws IOException {
        dispatcher = new ArchiveDispatcher(AnyPath.INTAKE,
                AnyPath.byPath(path -> new ArchiveResult.Failed(ErrorCode.FILE_NOT_FOUND, "no")), 1, 16,
                Duration.ofSeconds(10), Clock.systemUTC(), new AgentStats(Clock.systemUTC().instant()));
        socket = AgentSocket.claim(dir.resolve("agent.sock"), Optional.empty());
        String padding = "x".repeat(150); // a STATUS reply of about 170 bytes
        server = AgentServer.start(socket, dispatcher, Optional.empty(), () -> {
            statusRequests.incrementAndGet();
            return Map.of("padding", padding);
        }, new AgentServer.Limits(Duration.ofSeconds(120), Duration.ofSeconds(10), maxConnections), AgentMetrics.NONE);
    }

    private RawConnection connect() throws IOException {
        RawConnection connection = RawConnection.open(socket.path());
        connections.add(connection);
        return connection;
    }

    @AfterEach
    void tearDown() throws IOException {
        for (RawConnection c : connections) {
            c.close();
        }
        if (server != null) {
            server.close();
            dispatcher.shutdown(Duration.ofSeconds(5));
            socket.close();
        }
    }

    @Test
    void aClientThatReadsNoRepliesIsNotReadEitherUntilItDoes() throws Exception {
        start(8);
        int requests = 100_000;
        byte[] one = FrameCodec.encode(Frame.of(FrameType.STATUS));
        ByteBuffer out = ByteBuffer.allocate(requests * one.length);
        for (int i = 0; i < requests; i++) {
            out.put(one);
        }
        out.flip();
        RawConnection client = connect();
        // pipeline without reading until the agent takes no more (nothing for 500 ms; 20 s at most)
        long begin = System.nanoTime();
        long lastTaken = begin;
        while (out.hasRemaining() && System.nanoTime() - lastTaken < TimeUnit.MILLISECONDS.toNanos(500)
                && System.nanoTime() - begin < TimeUnit.SECONDS.toNanos(20)) {
            if (client.offer(out) > 0) {
                lastTaken = System.nanoTime();
            } else {
                Thread.sleep(5);
            }
        }
        int answered = settled(statusRequests);
        assertTrue(out.hasRemaining(), "the agent took all " + out.position() + " bytes of requests");
        // ~260 replies fill the kernel's socket buffer (it counts about 1 KiB per write), ~380 the 64 KiB mark
        assertTrue(answered < 2000, answered + " requests answered to a client that read no reply");

        // the client reads now: every request is answered, in order, and reading resumes as it goes
        int replies = 0;
        while (replies < requests) {
            client.offer(out);
            Frame reply = client.read(WAIT);
            assertNotNull(reply, "closed after " + replies + " replies");
            assertEquals(FrameType.OK, reply.type());
            replies++;
        }
        assertEquals(requests, statusRequests.get());
    }

    /** The counter's value once it has not changed for 500 ms (10 s at most). */
    private static int settled(AtomicInteger counter) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        int last = -1;
        while (counter.get() != last && System.nanoTime() < deadline) {
            last = counter.get();
            Thread.sleep(500);
        }
        return counter.get();
    }

    @Test
    void connectionsBeyondTheLimitAreToldWhyAndClosed() throws Exception {
        start(3);
        for (int i = 0; i < 3; i++) {
            RawConnection served = connect();
            served.send(Frame.of(FrameType.PING), WAIT);
            assertEquals(Frame.ok("pong"), served.read(WAIT));
        }
        for (int i = 0; i < 5; i++) {
            RawConnection refused = connect();
            Frame frame = refused.read(WAIT);
            assertNotNull(frame, "refused without a word");
            ErrorReply error = ErrorReply.fromFrame(frame);
            assertEquals(ErrorCode.TOO_MANY_CONNECTIONS, error.knownCode());
            assertEquals("the agent already serves 3 connections, the most agent.max_connections allows; find what "
                    + "holds them with: ss -xp | grep '" + socket.path() + "'", error.message());
            assertTrue(refused.closedWithin(WAIT), "closed after the refusal");
        }
        connections.get(0).close(); // a served connection goes: the next one is served
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            try (RawConnection next = RawConnection.open(socket.path())) {
                try {
                    next.send(Frame.of(FrameType.PING), WAIT);
                } catch (IOException e) {
                    // refused and closed before the request went out; the refusal is there to read
                }
                Frame reply = next.read(WAIT);
                if (Frame.ok("pong").equals(reply)) {
                    break;
                }
                assertEquals(FrameType.ERROR, reply.type(), "refused while the agent counts the closed one out");
            }
            assertTrue(System.nanoTime() < deadline, "no connection served after one of the 3 closed");
            Thread.sleep(20);
        }
    }
}
