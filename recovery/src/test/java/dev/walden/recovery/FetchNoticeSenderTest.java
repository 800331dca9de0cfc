package dev.walden.recovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.walden.config.ConfigSource;
import dev.walden.protocol.FetchNotice;
import dev.walden.protocol.Frame;
import dev.walden.protocol.FrameCodec;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The notice goes to whoever listens on agent.socket; no listener, no setting, or a silent one are all fine. */
class FetchNoticeSenderTest {
    @TempDir
    Path dir;

    private ConfigSource config(String extra) throws Exception {
        Path file = dir.resolve("walden.conf");
        Files.writeString(file, "repository.path = " + dir.resolve("repository") + "\n" + extra);
        return ConfigSource.load(file, true, Map.of());
    }

    /** The first whole frame the client sends, or null when it closes before one. */
    private static Frame readFrame(SocketChannel client) throws Exception {
        ByteBuffer in = ByteBuffer.allocate(FrameCodec.HEADER_LENGTH + FrameCodec.MAX_BODY_LENGTH);
        Frame frame = null;
        while (frame == null && client.read(in) >= 0) {
            in.flip();
            frame = FrameCodec.decode(in);
            in.compact();
        }
        return frame;
    }

    @Test
    void sendsTheNoticeToTheAgentSocket() throws Exception {
        Path socket = dir.resolve("agent.sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            CompletableFuture<Frame> received = CompletableFuture.supplyAsync(() -> {
                try (SocketChannel client = server.accept()) {
                    Frame frame = readFrame(client);
                    client.write(ByteBuffer.wrap(FrameCodec.encode(Frame.ok("noted"))));
                    return frame;
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            FetchNoticeSender.send(config("agent.socket = " + socket + "\n"), "000000010000000000000007",
                    FetchNotice.Result.MISSING);
            assertEquals(new FetchNotice("000000010000000000000007", FetchNotice.Result.MISSING),
                    FetchNotice.fromFrame(received.get(10, TimeUnit.SECONDS)));
        }
    }

    @Test
    void aSilentAgentIsGivenUpOn() throws Exception {
        Path socket = dir.resolve("agent.sock");
        CompletableFuture<Void> senderReturned = new CompletableFuture<>();
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            CompletableFuture<Frame> received = CompletableFuture.supplyAsync(() -> {
                try (SocketChannel client = server.accept()) {
                    Frame frame = readFrame(client);
                    senderReturned.get(30, TimeUnit.SECONDS); // hold the connection, answer nothing
                    return frame;
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            FetchNoticeSender.send(config("agent.socket = " + socket + "\n"), "000000010000000000000007",
                    FetchNotice.Result.FOUND);
            senderReturned.complete(null);
            assertEquals(FetchNotice.Result.FOUND, FetchNotice.fromFrame(received.get(10, TimeUnit.SECONDS)).result(),
                    "the notice was sent, and the sender returned without an answer");
        }
    }

    @Test
    void noSocketNoSettingOrADeadSocketFileAreIgnored() throws Exception {
        FetchNoticeSender.send(config(""), "000000010000000000000007", FetchNotice.Result.FOUND);
        Path missing = dir.resolve("missing.sock");
        FetchNoticeSender.send(config("agent.socket = " + missing + "\n"), "000000010000000000000007",
                FetchNotice.Result.FOUND);
        assertFalse(Files.exists(missing));
        Path stale = dir.resolve("stale.sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(stale));
        } // closed: the file stays, nobody listens, as after a killed agent
        FetchNoticeSender.send(config("agent.socket = " + stale + "\n"), "000000010000000000000007",
                FetchNotice.Result.FAILED);
    }
}
