package dev.walden.repo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.storage.MemoryStorage;
import dev.walden.storage.ObjectWriter;
import dev.walden.storage.posix.PosixStorage;
import dev.walden.wal.ClusterIdentity;
import dev.walden.wal.WalSegmentSize;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RepositoryTest {
    private static final ClusterIdentity CLUSTER = new ClusterIdentity(-42L, 15, WalSegmentSize.DEFAULT);
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-24T02:00:00Z"), ZoneOffset.UTC);

    @TempDir
    Path dir;

    @Test
    void createRecordsTheClusterAndOpenReadsItBack() throws IOException {
        PosixStorage storage = PosixStorage.create(dir.resolve("repo"));
        Repository.create(storage, CLUSTER, CLOCK);
        String json = Files.readString(dir.resolve("repo/repository.json"));
        assertTrue(json.contains("\"system_identifier\" : \"18446744073709551574\""), json);
        assertTrue(json.contains("\"created\" : \"2026-11-24T02:00:00Z\""), json);
        assertEquals(CLUSTER, Repository.open(storage).cluster());
        assertEquals(CLUSTER, Repository.create(storage, CLUSTER, CLOCK).cluster());
    }

    @Test
    void refusesAnotherCluster() throws IOException {
        MemoryStorage storage = new MemoryStorage();
        Repository.create(storage, CLUSTER, CLOCK);
        ClusterIdentity other = new ClusterIdentity(7L, 15, WalSegmentSize.DEFAULT);
        IOException e = assertThrows(IOException.class, () -> Repository.create(storage, other, CLOCK));
        assertEquals("repository memory belongs to system 18446744073709551574 (PostgreSQL 15, 16 MiB WAL segments), "
                + "not to this cluster, system 7 (PostgreSQL 15, 16 MiB WAL segments); give each cluster its own "
                + "repository", e.getMessage());
    }

    @Test
    void refusesToCreateAmongUnknownFiles() throws IOException {
        MemoryStorage storage = new MemoryStorage();
        write(storage, "{}");
        storage.delete(Repository.INFO_KEY);
        try (ObjectWriter w = storage.write("someone-elses-file")) {
            w.commit();
        }
        IOException e = assertThrows(IOException.class, () -> Repository.create(storage, CLUSTER, CLOCK));
        assertTrue(e.getMessage().startsWith("memory is not empty but holds no walden repository"), e.getMessage());
    }

    @Test
    void openWithoutRepositorySaysSo() {
        NoRepositoryException e = assertThrows(NoRepositoryException.class, () -> Repository.open(new MemoryStorage()));
        assertTrue(e.getMessage().startsWith("no walden repository in memory"), e.getMessage());
        assertTrue(e.getMessage().contains("create it with 'walden init'"), e.getMessage());
    }

    @Test
    void unreadableOrNewerInfoIsRefused() throws IOException {
        MemoryStorage storage = new MemoryStorage();
        write(storage, "{not json");
        assertThrows(CorruptObjectException.class, () -> Repository.open(storage));
        write(storage, "{\"format\":2,\"system_identifier\":\"1\",\"pg_major\":15,\"wal_segment_size\":16777216}");
        assertEquals("repository memory has format 2; this walden reads format 1",
                assertThrows(IOException.class, () -> Repository.open(storage)).getMessage());
        write(storage, "{\"format\":1,\"system_identifier\":\"1\",\"pg_major\":15,\"wal_segment_size\":3}");
        assertThrows(CorruptObjectException.class, () -> Repository.open(storage));
    }

    private static void write(MemoryStorage storage, String text) throws IOException {
        try (ObjectWriter w = storage.write(Repository.INFO_KEY)) {
            w.stream().write(text.getBytes(StandardCharsets.UTF_8));
            w.commit();
        }
    }
}
