package dev.walden.recovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.catalog.BackupManifest;
import dev.walden.repo.Checksums;
import dev.walden.storage.FaultInjectingStorage;
import dev.walden.storage.MemoryStorage;
import dev.walden.storage.Storage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BackupRestorerTest {
    @TempDir
    Path dir;

    @Test
    void aFailedRestoreReturnsOnlyOnceNoWorkerCanWriteAnyMore() throws Exception {
        MemoryStorage memory = new MemoryStorage();
        FaultInjectingStorage storage = new FaultInjectingStorage(memory);
        byte[] good = "a page of table 16384".getBytes(StandardCharsets.UTF_8);
        put(memory, "objects/corrupt", "the stored bytes differ from what was copied".getBytes(StandardCharsets.UTF_8));
        put(memory, "objects/slow", good);
        String sha = Checksums.sha256(new ByteArrayInputStream(good));
        // two workers: one finds the corrupt file at once, the other is still reading
        BackupManifest manifest = manifest(List.of(
                new BackupManifest.BackupFile("base/1/1259", "objects/corrupt", 44, 44, sha, "rw-------"),
                new BackupManifest.BackupFile("base/1/16384", "objects/slow", good.length, good.length, sha,
                        "rw-------")));
        storage.stallReadsIgnoringInterrupts("objects/slow");
        Path pgdata = dir.resolve("pgdata");

        CompletableFuture<IOException> restore = CompletableFuture.supplyAsync(() -> assertThrows(IOException.class,
                () -> new BackupRestorer(storage, 2).restore(manifest, pgdata, Map.of(),
                        new PrintWriter(new StringWriter()))));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (storage.stubbornReads() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(1, storage.stubbornReads(), "the second worker is reading");
        Thread.sleep(500); // ample for the corrupt file to fail; a restore that returns now leaves a worker behind
        assertFalse(restore.isDone(), "the restore returned while a worker could still write under " + pgdata);

        storage.release();
        IOException failure = restore.get(30, TimeUnit.SECONDS);
        assertTrue(failure.getMessage().contains("file 'base/1/1259' of backup 20261205T000000Z"), failure.getMessage());
        assertEquals(0, storage.stubbornReads());
        assertTrue(Files.exists(pgdata.resolve("base/1/16384")), "the file in flight was finished before returning");
    }

    private static void put(Storage storage, String key, byte[] bytes) throws IOException {
        try (var writer = storage.write(key)) {
            writer.stream().write(bytes);
            writer.commit();
        }
    }

    private static BackupManifest manifest(List<BackupManifest.BackupFile> files) {
        return new BackupManifest(BackupManifest.FORMAT, "20261205T000000Z", BackupManifest.COMPLETE, null,
                "7000000000000000001", "15.10", 15, 16 * 1024 * 1024, "2026-12-05T00:00:00Z", "2026-12-05T00:00:01Z",
                "0/2000028", "0/2000100", 1, 1, "000000010000000000000002", "000000010000000000000002", "none",
                0, 0, true, List.of(), List.of(), List.of("base", "base/1"), files);
    }
}
