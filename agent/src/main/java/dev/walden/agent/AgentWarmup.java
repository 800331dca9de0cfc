package dev.walden.agent;

import dev.walden.protocol.AgentClient;
import dev.walden.protocol.AgentClientException;
import dev.walden.protocol.Frame;
import dev.walden.protocol.FrameType;
import dev.walden.repo.Checksums;
import dev.walden.repo.Compression;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.zip.CRC32C;

/**
 * Runs, once, on a background thread as soon as the agent listens, what its first request would
 * otherwise pay for: a PING on its own socket (Netty's first connection: each handler's class
 * inspected by reflection, the pipeline built) and the computing part of archiving a file (SHA-256,
 * CRC-32C, the configured compressor) on made-up bytes. None of it is in a start-up cache: zstd-jni
 * binds zstd through the FFM linker on Java 22+ (some 35 downcall stubs, generated at first use),
 * and the JIT's compiled hashing loops are made at run time. Without it, the first file PostgreSQL
 * hands over took ~0.45 s against ~0.06 s for the files after it (bench/startup-bench.sh,
 * docs/performance.md#start-up). PostgreSQL starts after the agent, so this runs while it does, at
 * the lowest priority.
 */
final class AgentWarmup {
    private static final System.Logger LOG = System.getLogger(AgentWarmup.class.getName());
    /** Enough for the hashing loops to be compiled: 32 of the 128 KiB chunks archiving reads. */
    static final int CHUNKS = 32;

    private AgentWarmup() {
    }

    /** Starts the warm-up on a daemon thread and returns at once. */
    static Thread start(Path socket, Compression compression, int level) {
        Thread thread = new Thread(() -> {
            ping(socket);
            compute(compression, level);
        }, "walden-warmup");
        thread.setDaemon(true);
        thread.setPriority(Thread.MIN_PRIORITY);
        thread.start();
        return thread;
    }

    /** A PING on the agent's own socket; a failure is only logged (a client would meet it and say so). */
    static void ping(Path socket) {
        try {
            Frame reply = new AgentClient(socket, Duration.ofSeconds(10)).exchange(Frame.of(FrameType.PING));
            if (reply.type() != FrameType.OK) {
                LOG.log(Level.DEBUG, "warm-up: PING on " + socket + " answered " + reply.type());
            }
        } catch (AgentClientException e) {
            LOG.log(Level.DEBUG, "warm-up: PING on " + socket + " failed: " + e.getMessage());
        }
    }

    /** Hashes and compresses 4 MiB of made-up bytes; a failure is only logged. */
    static void compute(Compression compression, int level) {
        byte[] chunk = new byte[128 * 1024];
        for (int i = 0; i < chunk.length; i++) {
            chunk[i] = (byte) (i % 251 < 200 ? 0 : i * 31); // mostly zeros, like a WAL page's tail
        }
        MessageDigest sha256 = Checksums.newDigest();
        CRC32C crc = new CRC32C();
        try (OutputStream out = compression.compress(OutputStream.nullOutputStream(), level)) {
            for (int i = 0; i < CHUNKS; i++) {
                sha256.update(chunk);
                crc.update(chunk);
                out.write(chunk);
            }
        } catch (IOException | RuntimeException | LinkageError e) {
            LOG.log(Level.DEBUG, "warm-up: " + compression.configName() + " failed: " + e);
        }
    }
}
