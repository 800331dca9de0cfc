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
import dev.walden.protocol.StatusReply;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The codec and request handling, on Netty's EmbeddedChannel: no socket, real pipeline. */
class RequestHandlerTest {
    private final List<String> archived = new CopyOnWriteArrayList<>();
    private ArchiveDispatcher dispatcher;

    private EmbeddedChannel channel(Function<String, ArchiveResult> archiver, int queueCapacity) {
        dispatcher = new ArchiveDispatcher(AnyPath.INTAKE, AnyPath.byPath(path -> {
            archived.add(path);
            return archiver.apply(path);
        }), 1, queueCapacity, Duration.ofSeconds(10), Clock.systemUTC(), new AgentStats(Clock.systemUTC().instant()));
        return new EmbeddedChannel(new FrameDecoder(Duration.ofSeconds(10)), new FrameEncoder(),
                new RequestHandler(dispatcher, () -> Map.of("queued", "0")));
    }

    private EmbeddedChannel channel() {
        return channel(path -> new ArchiveResult.Failed(ErrorCode.FILE_NOT_FOUND, "'" + path + "' is not there"), 16);
    }

    @AfterEach
    void stop() {
        if (dispatcher != null) {
            dispatcher.shutdown(Duration.ofSeconds(5));
        }
    }

    private static ByteBuf bytes(Frame frame) {
        return Unpooled.wrappedBuffer(FrameCodec.encode(frame));
    }

    private static Frame reply(EmbeddedChannel ch) throws Exception {
        return Replies.next(ch);
    }

    @Test
    void answersPingAndStatus() throws Exception {
        EmbeddedChannel ch = channel();
        ch.writeInbound(bytes(Frame.of(FrameType.PING)));
        assertEquals(Frame.ok("pong"), reply(ch));
        ch.writeInbound(bytes(Frame.of(FrameType.STATUS)));
        assertEquals(Map.of("queued", "0"), StatusReply.fromFrame(reply(ch)).values());
        assertFalse(ch.finish());
    }

    @Test
    void decodesARequestFedOneByteAtATime() throws Exception {
        EmbeddedChannel ch = channel(path -> new ArchiveResult.Failed(ErrorCode.BAD_NAME, "no"), 16);
        byte[] push = FrameCodec.encode(new PushRequest("/pg/pg_wal/000000010000000000000001").toFrame());
        for (byte b : push) {
            ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {b}));
        }
        ErrorReply error = ErrorReply.fromFrame(reply(ch));
        assertEquals(ErrorCode.BAD_NAME, error.knownCode());
        assertEquals(List.of("/pg/pg_wal/000000010000000000000001"), archived);
        assertFalse(ch.finish());
    }

    @Test
    void garbageIsAnsweredWithAnErrorAndTheConnectionClosed() throws Exception {
        EmbeddedChannel ch = channel();
        ch.writeInbound(Unpooled.wrappedBuffer("GET / HTTP/1.1\r\n\r\n".getBytes()));
        ErrorReply error = ErrorReply.fromFrame(reply(ch));
        assertEquals(ErrorCode.BAD_FRAME, error.knownCode());
        assertTrue(error.message().startsWith("bad frame magic"), error.message());
        ch.runPendingTasks();
        assertFalse(ch.isOpen(), "closed after a framing error");
        assertFalse(ch.finish());
    }

    @Test
    void anOversizedFrameIsRefusedFromItsHeader() throws Exception {
        EmbeddedChannel ch = channel();
        ByteBuf header = Unpooled.buffer().writeByte('W').writeByte('L').writeByte(1).writeByte(FrameType.PUSH.code())
                .writeInt(FrameCodec.MAX_BODY_LENGTH + 1);
        ch.writeInbound(header);
        assertEquals(ErrorCode.FRAME_TOO_LARGE, ErrorReply.fromFrame(reply(ch)).knownCode());
        ch.runPendingTasks();
        assertFalse(ch.isOpen());
        assertTrue(archived.isEmpty());
        assertFalse(ch.finish());
    }

    @Test
    void anotherProtocolVersionIsToldWhichVersionThisAgentSpeaks() throws Exception {
        EmbeddedChannel ch = channel();
        byte[] v2 = FrameCodec.encode(Frame.of(FrameType.PING));
        v2[2] = 2;
        ch.writeInbound(Unpooled.wrappedBuffer(v2));
        ErrorReply error = ErrorReply.fromFrame(reply(ch));
        assertEquals(ErrorCode.UNSUPPORTED_VERSION, error.knownCode());
        assertEquals("unsupported protocol version 2 (this side speaks 1)", error.message());
        assertFalse(ch.finish());
    }

    @Test
    void aMalformedPushBodyIsRefusedButTheConnectionStays() throws Exception {
        EmbeddedChannel ch = channel();
        ch.writeInbound(bytes(new Frame(FrameType.PUSH, new byte[] {'/', 0})));
        assertEquals(ErrorCode.BAD_REQUEST, ErrorReply.fromFrame(reply(ch)).knownCode());
        ch.writeInbound(bytes(Frame.of(FrameType.PING)));
        assertEquals(Frame.ok("pong"), reply(ch));
        ch.writeInbound(bytes(Frame.ok("I am not a request")));
        assertEquals(ErrorCode.UNKNOWN_REQUEST, ErrorReply.fromFrame(reply(ch)).knownCode());
        assertTrue(ch.isOpen());
        assertFalse(ch.finish());
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrder() throws Exception {
        EmbeddedChannel ch = channel();
        ByteBuf both = Unpooled.wrappedBuffer(FrameCodec.encode(new PushRequest("/a/000000010000000000000001").toFrame()),
                FrameCodec.encode(Frame.of(FrameType.PING)));
        ch.writeInbound(both);
        assertEquals(FrameType.ERROR, reply(ch).type(), "the PUSH reply comes first");
        assertEquals(Frame.ok("pong"), reply(ch));
        assertFalse(ch.finish());
    }

    @Test
    void requestsPipelinedBehindAPushWaitUndecodedAndAreAnsweredInOrderAfterIt() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        EmbeddedChannel ch = channel(path -> {
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return new ArchiveResult.Failed(ErrorCode.INTERNAL, "released");
        }, 16);
        RequestHandler handler = ch.pipeline().get(RequestHandler.class);
        ByteBuf burst = Unpooled.buffer();
        burst.writeBytes(FrameCodec.encode(new PushRequest("/a/000000010000000000000001").toFrame()));
        for (int i = 0; i < 1000; i++) {
            burst.writeBytes(FrameCodec.encode(Frame.of(FrameType.PING)));
        }
        ch.writeInbound(burst); // one read's worth: ByteToMessageDecoder would decode all 1001 at once
        assertTrue(handler.pending() <= 1, handler.pending() + " frames decoded and queued behind the PUSH");
        assertFalse(ch.config().isAutoRead(), "not read while the PUSH is in progress");
        assertNull(Replies.poll(ch));
        release.countDown();
        assertEquals("released", ErrorReply.fromFrame(reply(ch)).message(), "the PUSH is answered first");
        for (int i = 0; i < 1000; i++) {
            assertEquals(Frame.ok("pong"), reply(ch), "ping " + i);
        }
        assertTrue(ch.config().isAutoRead());
        assertEquals(0, handler.pending());
        assertFalse(ch.finish());
    }

    @Test
    void aFullQueueIsAnsweredOverloadedAtOnce() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        List<EmbeddedChannel> channels = new ArrayList<>();
        Function<String, ArchiveResult> blocked = path -> {
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return new ArchiveResult.Failed(ErrorCode.INTERNAL, "released");
        };
        EmbeddedChannel first = channel(blocked, 16);
        channels.add(first);
        // one worker busy, then fill the 16-slot queue with distinct paths from other connections
        for (int i = 0; i < 40; i++) {
            EmbeddedChannel ch = new EmbeddedChannel(new FrameDecoder(Duration.ofSeconds(10)), new FrameEncoder(),
                    new RequestHandler(dispatcher, Map::of));
            channels.add(ch);
            ch.writeInbound(bytes(new PushRequest("/a/00000001000000000000" + String.format("%04X", i)).toFrame()));
        }
        first.writeInbound(bytes(new PushRequest("/a/last").toFrame()));
        ErrorReply overloaded = ErrorReply.fromFrame(reply(first));
        assertEquals(ErrorCode.OVERLOADED, overloaded.knownCode());
        assertTrue(overloaded.message().startsWith("the agent's queue is full"), overloaded.message());
        release.countDown();
        for (EmbeddedChannel ch : channels) {
            ch.finishAndReleaseAll();
        }
    }
}
