package dev.walden.bench;

import dev.walden.repo.Checksums;
import dev.walden.repo.Compression;
import dev.walden.repo.Repository;
import dev.walden.repo.StoredWal;
import dev.walden.repo.WalArchive;
import dev.walden.storage.posix.PosixStorage;
import dev.walden.wal.ClusterIdentity;
import dev.walden.wal.WalFileName;
import dev.walden.wal.WalSegmentSize;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;

/**
 * Storing one WAL segment into a local repository (fsync and rename included), one segment per
 * operation, single-threaded, the two ways the agent knows: {@code twoReads} (a read of its own
 * for the SHA-256 and a CRC-32C, then a second read that compresses, stores and checks the CRC:
 * the agent's only way until 2026-12-01, and still its way for a file too large to hold
 * compressed) and {@code oneRead} (hash and compress in one read, the compressed bytes held in
 * memory until the SHA-256 names the object). The segment is a file in the page cache, read
 * through a {@link FileChannel} as the agent reads pg_wal.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Threads(1)
public class StoreBenchmark {
    private static final WalFileName NAME = WalFileName.parse("000000010000000000000003");

    @Param("")
    public String segment;

    @Param({"lz4", "zstd"})
    public String compression;

    private Path dir;
    private Path file;
    private WalArchive wal;
    private Compression codec;

    @Setup(Level.Trial)
    public void create() throws IOException {
        dir = Files.createTempDirectory("walden-store-bench");
        file = dir.resolve(NAME.toString());
        if (segment.isEmpty()) {
            Files.write(file, PipelineBenchmark.synthetic());
        } else {
            Files.copy(Path.of(segment), file);
        }
        Files.createDirectory(dir.resolve("repo"));
        int size = (int) Files.size(file);
        // the store path never checks the cluster: any identity with the segment's size will do
        wal = Repository.create(new PosixStorage(dir.resolve("repo")),
                new ClusterIdentity(1L, 15, new WalSegmentSize(size)), Clock.systemUTC()).wal();
        codec = Compression.fromConfigName(compression);
    }

    @TearDown(Level.Trial)
    public void remove() throws IOException {
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    @Benchmark
    public StoredWal twoReads() throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            MessageDigest digest = Checksums.newDigest();
            CRC32C crc = new CRC32C();
            ByteBuffer buffer = ByteBuffer.allocate(128 * 1024);
            while (channel.read(buffer.clear()) > 0) {
                buffer.flip();
                crc.update(buffer.array(), 0, buffer.limit());
                digest.update(buffer);
            }
            channel.position(0);
            return wal.store(NAME, Checksums.hex(digest), crc.getValue(), codec, codec.defaultLevel(),
                    Channels.newInputStream(channel));
        }
    }

    @Benchmark
    public StoredWal oneRead() throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            return wal.storeInOneRead(NAME, codec, codec.defaultLevel(), Channels.newInputStream(channel),
                    17 * 1024 * 1024, null, null).orElseThrow();
        }
    }
}
