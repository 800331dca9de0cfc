package dev.walden.agent.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.agent.Replies;
import dev.walden.agent.archive.AgentStats;
import dev.walden.agent.archive.AnyPath;
import dev.walden.agent.archive.ArchiveDispatcher;
import dev.walden.agent.archive.ArchiveResult;
import dev.walden.protocol.ErrorCode;
import dev.walden.protocol.ErrorReply;
import dev.walden.protocol.Frame;
import dev.walden.protocol.FrameCodec;
import dev.walden.protocol.FrameType;
import dev.walden.protocol.PushRequest;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * agent.frame_timeout on the real pipeline (decoder, encoder, handler) with the event loop's clock
 * frozen, so the test moves time itself: a request must arrive whole within the timeout of its
 * first byte, however steadily its bytes drip in.
 */
class FrameDeadlineTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(1);
    private static final byte[] PING = FrameCodec.encode(Frame.of(FrameType.PING));

    private final CountDownLatch release = new CountDownLatch(1);
    private ArchiveDispatcher dispatcher;
    private EmbeddedChannel ch;

    @BeforeEach
    void setUp() {
        // every PUSH waits for the test to release it: a request in progress for as long as the test likes
        dispatcher = new ArchiveDispatcher(AnyPath.INTAKE, AnyPath.byPath(path -> {
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return new ArchiveResult.Failed(ErrorCode.INTERNAL, "released");
        }), 1, 16, Duration.ofSeconds(10), Clock.systemUTC(), new AgentStats(Clock.systemUTC().instant()));
        ch = new EmbeddedChannel(new FrameDecoder(TIMEOUT), new FrameEncoder(),
                new RequestHandler(dispatcher, () -> Map.of()));
        ch.freezeTime();
    }

    @AfterEach
    void tearDown() {
        release.countDown();
        dispatcher.shutdown(Duration.ofSeconds(5));
        ch.finishAndReleaseAll();
    }

    private void send(byte[] bytes, int from, int length) {
        ch.writeInbound(Unpooled.wrappedBuffer(bytes, from, length));
    }

    private void advance(long millis) {
        ch.advanceTimeBy(millis, TimeUnit.MILLISECONDS);
        ch.runPendingTasks();
    }

    @Test
    void aRequestDrippedSlowerThanTheTimeoutIsAnsweredFrameTimeoutAndClosed() throws Exception {
        send(PING, 0, 3);
        advance(900);
        send(PING, 3, 1); // still dripping: that keeps an idle timeout away, not this one
        assertTrue(ch.isOpen());
        advance(200);
        ErrorReply error = ErrorReply.fromFrame(Replies.poll(ch));
        assertEquals(ErrorCode.FRAME_TIMEOUT, error.knownCode());
        assertEquals("request not complete 1s after its first byte (agent.frame_timeout): 4 byte(s) arrived; a client "
                + "must send each request without pausing", error.message());
        assertFalse(ch.isOpen());
    }

    @Test
    void theMessageSaysHowLongTheFrameIsOnceItsHeaderArrived() throws Exception {
        byte[] push = FrameCodec.encode(new PushRequest("/pg/pg_wal/000000010000000000000001").toFrame());
        send(push, 0, 12);
        advance(1000);
        ErrorReply error = ErrorReply.fromFrame(Replies.poll(ch));
        assertTrue(error.message().endsWith(": 12 of " + push.length + " bytes arrived; a client must send each request "
                + "without pausing"), error.message());
    }

    @Test
    void eachRequestHasItsOwnTimeoutFromItsFirstByte() throws Exception {
        send(PING, 0, 3);
        advance(900);
        byte[] rest = new byte[5 + 3];
        System.arraycopy(PING, 3, rest, 0, 5);
        System.arraycopy(PING, 0, rest, 5, 3); // the next request begins in the same read
        send(rest, 0, rest.length);
        assertEquals(Frame.ok("pong"), Replies.poll(ch));
        advance(900); // 1.8 s after the first byte of the first, 0.9 s into the second
        send(PING, 3, 5);
        assertEquals(Frame.ok("pong"), Replies.poll(ch));
        advance(10_000); // nothing half-sent: no timeout runs at all
        assertTrue(ch.isOpen());
        assertNull(Replies.poll(ch));
    }

    @Test
    void theTimeoutDoesNotRunWhileARequestIsInProgress() throws Exception {
        byte[] push = FrameCodec.encode(new PushRequest("/pg/pg_wal/000000010000000000000001").toFrame());
        byte[] pipelined = new byte[push.length + 3];
        System.arraycopy(push, 0, pipelined, 0, push.length);
        System.arraycopy(PING, 0, pipelined, push.length, 3);
        send(pipelined, 0, pipelined.length);
        advance(5000); // the PUSH is still being archived: the half PING behind it is not the client's delay
        assertTrue(ch.isOpen());
        assertNull(Replies.poll(ch));
        release.countDown();
        assertEquals("released", ErrorReply.fromFrame(Replies.next(ch)).message());
        advance(900); // the half PING is read from now on, and its timeout runs from now on
        assertTrue(ch.isOpen());
        advance(200);
        assertEquals(ErrorCode.FRAME_TIMEOUT, ErrorReply.fromFrame(Replies.poll(ch)).knownCode());
        assertFalse(ch.isOpen());
    }
}
