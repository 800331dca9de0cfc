package dev.walden.agent.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.repo.Checksums;
import dev.walden.repo.Compression;
import dev.walden.repo.Repository;
import dev.walden.repo.StreamedWal;
import dev.walden.storage.MemoryStorage;
import dev.walden.wal.ClusterIdentity;
import dev.walden.wal.SyntheticWal;
import dev.walden.wal.WalFileName;
import dev.walden.wal.WalSegmentSize;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.time.Clock;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ArchiveComparisonTest {
    private static final ClusterIdentity CLUSTER = new ClusterIdentity(99L, 15, new WalSegmentSize(1024 * 1024));
    private static final WalFileName FIRST = WalFileName.parse("000000010000000000000003");
    private static final WalFileName SECOND = WalFileName.parse("000000010000000000000004");

    private Repository repository;
    private StreamState state;
    private ArchiveComparison comparison;

    @BeforeEach
    void create() throws IOException {
        repository = Repository.create(new MemoryStorage(), CLUSTER, Clock.systemUTC());
        state = new StreamState("walden_99", Clock.systemUTC());
        comparison = new ArchiveComparison(repository, state, Clock.systemUTC());
    }

    private void archive(WalFileName name, byte[] bytes) throws IOException {
        repository.wal().store(name, Checksums.sha256(new ByteArrayInputStream(bytes)), Compression.ZSTD, 1,
                new ByteArrayInputStream(bytes));
    }

    private StreamedWal stream(WalFileName name, byte[] bytes) throws IOException {
        return repository.stream().store(name, bytes, bytes.length, Compression.ZSTD, 1);
    }

    @Test
    void aMatchingSegmentIsComparedAndItsStreamedCopyDeleted() throws IOException {
        byte[] segment = SyntheticWal.segment(CLUSTER, FIRST, 1);
        comparison.add(stream(FIRST, segment));
        comparison.check();
        assertTrue(repository.stream().find(FIRST).isPresent(), "not archived yet: kept, and waiting");
        archive(FIRST, segment);
        comparison.check();
        assertEquals("1", state.status().get("stream_compared_segments"));
        assertEquals(0, state.mismatches());
        assertTrue(repository.stream().find(FIRST).isEmpty());
    }

    @Test
    void aSegmentThatDiffersFromTheArchivedOneIsAnAlarmAndTheArchivedCopyWins() throws IOException {
        byte[] segment = SyntheticWal.segment(CLUSTER, FIRST, 1);
        byte[] other = segment.clone();
        other[5000] ^= 1;
        comparison.add(stream(FIRST, other));
        archive(FIRST, segment);
        comparison.check();
        assertEquals(1, state.mismatches());
        assertTrue(repository.stream().find(FIRST).isEmpty(), "the streamed copy never serves a recovery");
        assertTrue(repository.wal().find(FIRST).isPresent());
    }

    @Test
    void segmentsAreComparedInOrderAndALaterOneWaitsForTheEarlierOne() throws IOException {
        byte[] first = SyntheticWal.segment(CLUSTER, FIRST, 1);
        byte[] second = SyntheticWal.segment(CLUSTER, SECOND, 2);
        comparison.add(stream(FIRST, first));
        comparison.add(stream(SECOND, second));
        archive(SECOND, second);
        comparison.check();
        assertEquals("0", state.status().get("stream_compared_segments"), "archiving runs in order");
        archive(FIRST, first);
        comparison.check();
        assertEquals("2", state.status().get("stream_compared_segments"));
        assertTrue(repository.stream().list().isEmpty());
    }

    @Test
    void aSessionPicksUpWhatAnEarlierOneLeftBeforeItsFirstSegment() throws IOException {
        byte[] first = SyntheticWal.segment(CLUSTER, FIRST, 1);
        stream(FIRST, first);
        repository.stream().store(SECOND, first, 100, Compression.ZSTD, 1); // the segment being streamed
        comparison.loadStored(SECOND);
        archive(FIRST, first);
        comparison.check();
        assertEquals("1", state.status().get("stream_compared_segments"));
        assertTrue(repository.stream().find(SECOND).isPresent(), "the current segment is not its business");
    }
}
