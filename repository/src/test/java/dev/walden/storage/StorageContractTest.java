package dev.walden.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The {@link Storage} contract, run against every driver: each driver's test extends this class
 * and says how to make a fresh, empty storage.
 */
public abstract class StorageContractTest {
    protected Storage storage;

    /** A new, empty storage. */
    protected abstract Storage newStorage() throws IOException;

    @BeforeEach
    void open() throws IOException {
        storage = newStorage();
    }

    @AfterEach
    void close() throws IOException {
        storage.close();
    }

    protected void put(String key, byte[] bytes) throws IOException {
        try (ObjectWriter w = storage.write(key)) {
            w.stream().write(bytes);
            w.commit();
        }
    }

    protected byte[] get(String key) throws IOException {
        try (InputStream in = storage.read(key)) {
            return in.readAllBytes();
        }
    }

    private static byte[] text(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void writeThenReadReturnsTheSameBytes() throws IOException {
        byte[] big = new byte[3 * 1024 * 1024 + 17];
        new Random(1).nextBytes(big);
        put("wal/0000000100000000/a-1.zst", big);
        assertArrayEquals(big, get("wal/0000000100000000/a-1.zst"));
        assertEquals(big.length, storage.stat("wal/0000000100000000/a-1.zst").orElseThrow().size());
    }

    @Test
    void nothingIsVisibleBeforeCommit() throws IOException {
        try (ObjectWriter w = storage.write("dir/object")) {
            w.stream().write(text("partial"));
            w.stream().flush();
            assertTrue(storage.stat("dir/object").isEmpty());
            assertTrue(storage.list("dir/").isEmpty(), "temporary state is never listed");
            assertThrows(NoSuchObjectException.class, () -> storage.read("dir/object"));
            w.commit();
        }
        assertArrayEquals(text("partial"), get("dir/object"));
    }

    @Test
    void closeWithoutCommitLeavesNoTrace() throws IOException {
        try (ObjectWriter w = storage.write("dir/object")) {
            w.stream().write(text("abandoned"));
        }
        assertTrue(storage.stat("dir/object").isEmpty());
        assertTrue(storage.list("").isEmpty());
    }

    @Test
    void closingTheStreamDoesNotCommit() throws IOException {
        try (ObjectWriter w = storage.write("object")) {
            w.stream().write(text("x"));
            w.stream().close();
            assertTrue(storage.stat("object").isEmpty());
            w.commit();
        }
        assertArrayEquals(text("x"), get("object"));
    }

    @Test
    void commitReplacesAnExistingObject() throws IOException {
        put("object", text("old"));
        put("object", text("new"));
        assertArrayEquals(text("new"), get("object"));
        assertEquals(1, storage.list("").size());
    }

    @Test
    void missingObjectsBehaveAsDocumented() throws IOException {
        NoSuchObjectException e = assertThrows(NoSuchObjectException.class, () -> storage.read("no/such"));
        assertEquals("no/such", e.key());
        assertTrue(e.getMessage().contains("no/such"), e.getMessage());
        assertTrue(storage.stat("no/such").isEmpty());
        assertThrows(NoSuchObjectException.class, () -> storage.sync("no/such"));
        assertFalse(storage.delete("no/such"));
        assertTrue(storage.list("no/").isEmpty());
    }

    @Test
    void listMatchesPlainStringPrefixesAtAnyDepthInKeyOrder() throws IOException {
        put("wal/0000000100000000/000000010000000000000003-aa.zst", text("3"));
        put("wal/0000000100000000/000000010000000000000003.00000028.backup-bb.zst", text("b"));
        put("wal/0000000100000000/000000010000000000000002-cc.zst", text("2"));
        put("wal/0000000200000000/000000020000000000000003-dd", text("t2"));
        put("wal/00000002.history-ee.zst", text("h"));
        put("repository.json", text("{}"));
        assertEquals(List.of("wal/0000000100000000/000000010000000000000003-aa.zst"),
                keys(storage.list("wal/0000000100000000/000000010000000000000003-")));
        assertEquals(List.of("wal/0000000100000000/000000010000000000000002-cc.zst",
                        "wal/0000000100000000/000000010000000000000003-aa.zst",
                        "wal/0000000100000000/000000010000000000000003.00000028.backup-bb.zst"),
                keys(storage.list("wal/0000000100000000/")));
        assertEquals(5, storage.list("wal/").size());
        assertEquals(List.of("wal/00000002.history-ee.zst", "wal/0000000200000000/000000020000000000000003-dd"),
                keys(storage.list("wal/00000002")));
        assertEquals(6, storage.list("").size());
        assertEquals(1, storage.list("wal/0000000100000000/000000010000000000000002").size());
        assertTrue(storage.list("wal/0000000300000000/").isEmpty());
    }

    private static List<String> keys(List<ObjectInfo> objects) {
        return objects.stream().map(ObjectInfo::key).toList();
    }

    @Test
    void syncAndDeleteExistingObjects() throws IOException {
        put("a/b", text("x"));
        storage.sync("a/b");
        assertTrue(storage.delete("a/b"));
        assertTrue(storage.stat("a/b").isEmpty());
    }

    @Test
    void noSyncWritesAreStillAtomicAndReadable() throws IOException {
        try (ObjectWriter w = storage.write("scratch", WriteOption.NO_SYNC)) {
            w.stream().write(text("s"));
            assertTrue(storage.stat("scratch").isEmpty());
            w.commit();
        }
        assertArrayEquals(text("s"), get("scratch"));
    }

    @Test
    void invalidKeysAreRefused() {
        for (String key : new String[] {"", "/abs", "a//b", "../up", "a/../b", ".hidden", "a/.tmp", "a b", "a/",
                "x".repeat(1025)}) {
            assertThrows(IllegalArgumentException.class, () -> storage.write(key), key);
            assertThrows(IllegalArgumentException.class, () -> storage.read(key), key);
            assertThrows(IllegalArgumentException.class, () -> storage.stat(key), key);
            assertThrows(IllegalArgumentException.class, () -> storage.delete(key), key);
        }
        assertThrows(IllegalArgumentException.class, () -> storage.list("../"));
    }

    @Test
    void concurrentWritersOfDifferentKeysDoNotInterfere() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int i = 0; i < 32; i++) {
                int n = i;
                futures.add(pool.submit(() -> {
                    put("d" + (n % 3) + "/obj-" + n, text("content " + n));
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(32, storage.list("").size());
        assertArrayEquals(text("content 7"), get("d1/obj-7"));
    }

    @Test
    void oneHolderPerLockNamingTheHolder() throws IOException {
        StorageLock first = storage.lock("writer", "walden agent (pid 1 on db1)");
        StorageLockedException e = assertThrows(StorageLockedException.class,
                () -> storage.lock("writer", "walden agent (pid 2 on db1)"));
        assertEquals("walden agent (pid 1 on db1)", e.holder());
        assertTrue(e.getMessage().contains("writer lock of " + storage.describe()), e.getMessage());
        storage.lock("backup", "walden backup (pid 3 on db1)").close(); // another name is another lock
        first.close();
        storage.lock("writer", "walden agent (pid 2 on db1)").close();
        assertTrue(storage.list("").isEmpty(), "a lock is not an object");
    }

    @Test
    void pointersNameObjectsAndAreNotObjectsThemselves() throws IOException {
        put("dumps/app/app_backup_20261101_020000.sql", text("one"));
        put("dumps/app/app_backup_20261102_020000.sql", text("two"));
        assertTrue(storage.pointer("dumps/app/latest_backup.sql").isEmpty());
        storage.setPointer("dumps/app/latest_backup.sql", "dumps/app/app_backup_20261101_020000.sql");
        storage.setPointer("dumps/app/latest_backup.sql", "dumps/app/app_backup_20261102_020000.sql");
        assertEquals("dumps/app/app_backup_20261102_020000.sql", storage.pointer("dumps/app/latest_backup.sql")
                .orElseThrow());
        assertEquals(2, storage.list("dumps/").size(), "pointers are never listed");
        assertTrue(storage.stat("dumps/app/latest_backup.sql").isEmpty());
        assertTrue(storage.delete("dumps/app/latest_backup.sql"));
        assertTrue(storage.pointer("dumps/app/latest_backup.sql").isEmpty());
        assertEquals(2, storage.list("dumps/").size());
    }

    @Test
    void removeAbandonedWritesKeepsCommittedObjects() throws IOException {
        put("kept", text("k"));
        assertEquals(0, storage.removeAbandonedWrites(Duration.ZERO));
        assertArrayEquals(text("k"), get("kept"));
    }
}
