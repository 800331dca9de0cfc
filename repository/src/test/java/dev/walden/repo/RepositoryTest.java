package dev.walden.repo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.crypto.EncryptingStorage;
import dev.walden.crypto.TestKeys;
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
import java.util.Optional;
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
        write(storage, "{\"format\":3,\"system_identifier\":\"1\",\"pg_major\":15,\"wal_segment_size\":16777216}");
        assertEquals("repository memory has format 3; this walden reads format 1 and, encrypted with aes-256-gcm, 2",
                assertThrows(IOException.class, () -> Repository.open(storage)).getMessage());
        write(storage, "{\"format\":2,\"system_identifier\":\"1\",\"pg_major\":15,\"wal_segment_size\":16777216}");
        assertThrows(IOException.class, () -> Repository.open(storage), "format 2 without its encryption");
        write(storage, "{\"format\":1,\"system_identifier\":\"1\",\"pg_major\":15,\"wal_segment_size\":3}");
        assertThrows(CorruptObjectException.class, () -> Repository.open(storage));
    }

    @Test
    void encryptionIsNeverSwitchedSilentlyEitherWay() throws IOException {
        MemoryStorage encrypted = new MemoryStorage();
        Repository repository = Repository.create(encrypted, CLUSTER, CLOCK,
                Optional.of(TestKeys.passphrase("p4ssphrase")));
        assertTrue(repository.storage() instanceof EncryptingStorage);
        assertEquals(2, repository.info().format());
        assertEquals(Optional.of("aes-256-gcm"), repository.info().cipher());
        IOException plainWriter = assertThrows(IOException.class, () -> Repository.create(encrypted, CLUSTER, CLOCK));
        assertTrue(plainWriter.getMessage().startsWith("repository memory is encrypted (aes-256-gcm), but "
                + "repository.encryption is none: set repository.encryption = aes-256-gcm and its key"),
                plainWriter.getMessage());
        assertEquals("repository memory is encrypted (aes-256-gcm); open it with its key (StorageFactory.open)",
                assertThrows(IOException.class, () -> Repository.open(encrypted)).getMessage());
        assertEquals(CLUSTER, Repository.create(encrypted, CLUSTER, CLOCK, Optional.of(TestKeys.passphrase(
                "p4ssphrase"))).cluster(), "init again with the same key changes nothing");

        MemoryStorage cutShort = new MemoryStorage(); // an init that wrote its keyring and then died
        dev.walden.crypto.Keyring.create(cutShort, TestKeys.passphrase("first"), "1", Instant.now());
        Repository again = Repository.create(cutShort, CLUSTER, CLOCK, Optional.of(TestKeys.passphrase("second")));
        assertEquals(Optional.of("aes-256-gcm"), again.info().cipher(), "init again over a keyring alone");

        MemoryStorage plain = new MemoryStorage();
        Repository.create(plain, CLUSTER, CLOCK);
        IOException encryptingWriter = assertThrows(IOException.class, () -> Repository.create(plain, CLUSTER, CLOCK,
                Optional.of(TestKeys.passphrase("p4ssphrase"))));
        assertEquals("repository memory is not encrypted, but repository.encryption is aes-256-gcm: walden never "
                + "switches a repository silently; set it to none, or create a new, encrypted repository with "
                + "walden init", encryptingWriter.getMessage());
        assertTrue(plain.snapshot().keySet().stream().noneMatch(k -> k.equals("keyring.json")), "no keyring added");
    }

    @Test
    void archivedWalInAnEncryptedRepositoryIsNamedByAKeyedMacAndDuplicatesAreStillRecognised() throws IOException {
        MemoryStorage inner = new MemoryStorage();
        Repository repository = Repository.create(inner, CLUSTER, CLOCK, Optional.of(TestKeys.passphrase("p")));
        byte[] segment = new byte[16 * 1024 * 1024];
        segment[100] = 7;
        String sha256 = Checksums.sha256(new java.io.ByteArrayInputStream(segment));
        dev.walden.wal.WalFileName name = dev.walden.wal.WalFileName.parse("000000010000000000000003");
        StoredWal stored = repository.wal().store(name, sha256, Compression.ZSTD, 3,
                new java.io.ByteArrayInputStream(segment));
        assertTrue(!stored.key().contains(sha256), stored.key());
        StoredWal found = repository.wal().find(name).orElseThrow();
        assertEquals(stored.key(), found.key());
        assertTrue(repository.wal().holds(found, sha256), "identical content is recognised");
        assertTrue(!repository.wal().holds(found, Checksums.sha256(new java.io.ByteArrayInputStream(new byte[8]))),
                "different content is not");
        try (java.io.InputStream in = repository.wal().open(found)) {
            org.junit.jupiter.api.Assertions.assertArrayEquals(segment, in.readAllBytes());
        }
        byte[] stolen = inner.snapshot().get(stored.key());
        inner.tamper(stored.key(), java.util.Arrays.copyOf(stolen, stolen.length - 1));
        CorruptObjectException e = assertThrows(CorruptObjectException.class, () -> {
            try (java.io.InputStream in = repository.wal().open(found)) {
                in.readAllBytes();
            }
        });
        assertTrue(e.getMessage().startsWith("object '" + stored.key() + "' in memory is corrupt: object '"),
                e.getMessage());
    }

    private static void write(MemoryStorage storage, String text) throws IOException {
        try (ObjectWriter w = storage.write(Repository.INFO_KEY)) {
            w.stream().write(text.getBytes(StandardCharsets.UTF_8));
            w.commit();
        }
    }
}
