package dev.walden.push;

import dev.walden.protocol.ErrorCode;
import dev.walden.protocol.ErrorReply;
import dev.walden.protocol.Frame;
import dev.walden.protocol.FrameCodec;
import dev.walden.protocol.FrameType;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Build-time only: runs walden-push's code paths (ping, a successful push, a refused push, no
 * agent) against an in-process stand-in for the agent, so the JDK records the classes start-up
 * needs into an AOT cache or CDS archive. Not part of the command line.
 */
public final class StartupTraining {
    private StartupTraining() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Files.createTempDirectory("walden-push-training");
        Path socket = dir.resolve("agent.sock");
        Path wal = Files.createDirectories(dir.resolve("pg_wal")).resolve("000000010000000000000001");
        Files.write(wal, new byte[8192]);
        PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            Thread agent = new Thread(() -> serve(server, 3), "training-agent");
            agent.setDaemon(true);
            agent.start();
            // the way PostgreSQL runs it: real environment, the config file, a relative %p
            Path config = Files.writeString(dir.resolve("walden.conf"), "# training\nagent.socket = " + socket
                    + "\npush.timeout = 30s\n");
            // walden-push refuses a config file others may change: under umask 002 it would be
            Files.setPosixFilePermissions(config, PosixFilePermissions.fromString("rw-------"));
            Map<String, String> env = System.getenv();
            check(WaldenPush.run(new String[] {"--config", config.toString(), "--ping"}, env, quiet, quiet), 0);
            check(WaldenPush.run(new String[] {"--config", config.toString(), wal.toString()}, env, quiet, quiet), 0);
            check(WaldenPush.run(new String[] {"--socket", socket.toString(), "pg_wal/../pg_wal/x"}, env, quiet,
                    quiet), WaldenPush.REFUSED);
            agent.join(10_000);
        }
        check(WaldenPush.run(new String[] {"--socket", socket.toString(), wal.toString()}, Map.of(), quiet, quiet),
                WaldenPush.AGENT_NOT_RUNNING);
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static void check(int exit, int expected) {
        if (exit != expected) {
            throw new IllegalStateException("training run exited " + exit + ", expected " + expected);
        }
    }

    private static void serve(ServerSocketChannel server, int connections) {
        try {
            for (int i = 0; i < connections; i++) {
                try (SocketChannel peer = server.accept()) {
                    ByteBuffer in = ByteBuffer.allocate(FrameCodec.HEADER_LENGTH + FrameCodec.MAX_BODY_LENGTH);
                    Frame request = null;
                    while (request == null && peer.read(in) >= 0) {
                        in.flip();
                        request = FrameCodec.decode(in);
                        in.compact();
                    }
                    Frame reply = i < 2 ? Frame.ok("ok")
                            : new ErrorReply(ErrorCode.DUPLICATE_DIFFERS, "training refusal").toFrame();
                    peer.write(ByteBuffer.wrap(FrameCodec.encode(reply)));
                    if (request != null && request.type() == FrameType.PING && i > 0) {
                        throw new IllegalStateException("unexpected request order");
                    }
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("training agent failed", e);
        }
    }
}
