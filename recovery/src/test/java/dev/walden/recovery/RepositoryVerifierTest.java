package dev.walden.recovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.repo.Checksums;
import dev.walden.repo.Compression;
import dev.walden.repo.Repository;
import dev.walden.repo.StoredWal;
import dev.walden.storage.posix.PosixStorage;
import dev.walden.wal.ClusterIdentity;
import dev.walden.wal.SyntheticWal;
import dev.walden.wal.WalFileName;
import dev.walden.wal.WalSegmentSize;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

public class RepositoryVerifierTest {
    private static final ClusterIdentity CLUSTER = new ClusterIdentity(3L, 15, new WalSegmentSize(1024 * 1024));

    @TempDir
    Path dir;
    PosixStorage storage;
    Repository repository;

    @BeforeEach
    void setUp() throws IOException {
        storage = PosixStorage.create(dir.resolve("repository"));
        repository = Repository.create(storage, CLUSTER, Clock.systemUTC());
    }

    /** Archives segment {@code segno} of timeline 1 and returns the file that holds it. */
    public static Path segment(Repository repository, PosixStorage storage, long segno) throws IOException {
        WalFileName name = WalFileName.segment(1, segno, CLUSTER.segmentSize());
        byte[] bytes = SyntheticWal.segment(CLUSTER, name, segno);
        StoredWal stored = repository.wal().store(name, Checksums.sha256(new ByteArrayInputStream(bytes)),
                Compression.NONE, 0, new ByteArrayInputStream(bytes));
        return storage.root().resolve(stored.key());
    }

    @Test
    void everyObjectReadCountsAsCheckedAndTheBarEndsWithTheLast() throws IOException {
        segment(repository, storage, 1);
        Path damaged = segment(repository, storage, 2);
        byte[] bytes = Files.readAllBytes(damaged);
        bytes[bytes.length / 2] ^= 1;
        Files.write(damaged, bytes);

        StringWriter progress = new StringWriter();
        RepositoryVerifier.Result result = new RepositoryVerifier(repository, 2, new PrintWriter(progress)).verify();

        assertFalse(result.healthy());
        assertEquals(2, result.objectsChecked(), "the damaged object was checked too: " + result);
        assertEquals(1, result.problems().stream().filter(p -> p.kind().equals("corrupt")).count(), result.toString());
        String last = progress.toString().lines().reduce((a, b) -> b).orElse("");
        assertTrue(last.startsWith("verifying [####################] 100%  2/2 objects, 2.0 MiB of 2.0 MiB in "),
                "the bar ends at 100 % with the last object, read or not: " + progress);
        assertTrue(result.summary().startsWith("checked 2 objects (1.0 MiB of original data): 2 problem(s), "
                + "the first corrupt: WAL object 'wal/0000000100000000/000000010000000000000002-"), result.summary());
    }
}
