package dev.walden.recovery;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.catalog.BackupManifest;
import dev.walden.catalog.BlockMap;
import dev.walden.repo.Compression;
import dev.walden.repo.CorruptObjectException;
import dev.walden.repo.ObjectPut;
import dev.walden.storage.MemoryStorage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A file rebuilt from its base and two deltas, written as docs/repository-format.md describes them. */
class ChainedFileTest {
    private static final int PAGE = BlockMap.BLOCK_SIZE;
    private static final String LABEL = "20261206T000000Z";

    @TempDir
    Path dir;
    private final MemoryStorage storage = new MemoryStorage();

    @Test
    void theNewestObjectHoldingABlockSuppliesItAndTheFileEndsWhereTheLastBackupSawIt() throws Exception {
        byte[] base = random(10 * PAGE, 1);
        byte[] first = Arrays.copyOf(base, 12 * PAGE); // grew by two blocks, block 2 changed
        System.arraycopy(random(3 * PAGE, 2), 0, first, 2 * PAGE, PAGE);
        System.arraycopy(random(2 * PAGE, 3), 0, first, 10 * PAGE, 2 * PAGE);
        byte[] last = Arrays.copyOf(first, 8 * PAGE + 100); // truncated, block 3 changed, a short last block
        System.arraycopy(random(PAGE, 4), 0, last, 3 * PAGE, PAGE);
        System.arraycopy(random(100, 5), 0, last, 8 * PAGE, 100);

        BackupManifest.BackupFile file = new BackupManifest.BackupFile("base/5/16384", put("base", base),
                last.length, 0, sha(base), "rw-------", null, List.of(
                        delta("d1", first, new int[] {2, 10, 11}), delta("d2", last, new int[] {3, 8})),
                map("map", last));
        Path pgdata = dir.resolve("pgdata");
        new BackupRestorer(storage, 2).restore(manifest(file), pgdata, java.util.Map.of(),
                new java.io.PrintWriter(java.io.Writer.nullWriter()));
        assertArrayEquals(last, Files.readAllBytes(pgdata.resolve("base/5/16384")));
    }

    @Test
    void aBlockThatIsNotTheOneTheMapRecordsIsNamedWithItsObject() throws Exception {
        byte[] base = random(4 * PAGE, 1);
        byte[] changed = base.clone();
        changed[PAGE + 5] ^= 1;
        byte[] claimed = changed.clone();
        claimed[PAGE + 6] ^= 1; // what the map says block 1 became; the delta holds something else
        BackupManifest.BackupFile file = new BackupManifest.BackupFile("base/5/16384", put("base", base),
                base.length, 0, sha(base), "rw-------", null, List.of(delta("d1", changed, new int[] {1})),
                map("map", claimed));
        CorruptObjectException e = assertThrows(CorruptObjectException.class, () -> new BackupRestorer(storage, 1)
                .restore(manifest(file), dir.resolve("pgdata"), java.util.Map.of(),
                        new java.io.PrintWriter(java.io.Writer.nullWriter())));
        assertTrue(e.getMessage().contains("file 'base/5/16384' of backup " + LABEL + ": block 1 from object 'd1'"),
                e.getMessage());
    }

    @Test
    void aBlockListBeyondItsFileIsRefused() throws Exception {
        byte[] base = random(2 * PAGE, 1);
        BackupManifest.Delta bad = new BackupManifest.Delta(put("d1", new byte[PAGE]), 2L * PAGE, 0,
                sha(new byte[PAGE]), "7");
        BackupManifest.BackupFile file = new BackupManifest.BackupFile("base/5/16384", put("base", base),
                base.length, 0, sha(base), "rw-------", null, List.of(bad), map("map", base));
        CorruptObjectException e = assertThrows(CorruptObjectException.class, () -> new BackupRestorer(storage, 1)
                .restore(manifest(file), dir.resolve("pgdata"), java.util.Map.of(),
                        new java.io.PrintWriter(java.io.Writer.nullWriter())));
        assertTrue(e.getMessage().contains("'7' is out of order or beyond the file's 2 blocks"), e.getMessage());
    }

    /** A delta of {@code blocks} of {@code file}, as the backup that saw {@code file} stored it. */
    private BackupManifest.Delta delta(String key, byte[] file, int[] blocks) throws IOException {
        ByteArrayOutputStream content = new ByteArrayOutputStream();
        long[] numbers = new long[blocks.length];
        for (int i = 0; i < blocks.length; i++) {
            int length = Math.min(PAGE, file.length - blocks[i] * PAGE);
            content.write(file, blocks[i] * PAGE, length);
            numbers[i] = blocks[i];
        }
        byte[] bytes = content.toByteArray();
        return new BackupManifest.Delta(put(key, bytes), file.length, 0, sha(bytes),
                dev.walden.catalog.BlockRanges.format(numbers, numbers.length));
    }

    private BackupManifest.StoredObject map(String key, byte[] file) throws IOException {
        long[] hashes = new long[(int) BlockMap.blocks(file.length)];
        for (int b = 0; b < hashes.length; b++) {
            hashes[b] = BlockMap.hash(file, b * PAGE, Math.min(PAGE, file.length - b * PAGE));
        }
        byte[] bytes = BlockMap.of(file.length, hashes).toBytes();
        return new BackupManifest.StoredObject(put(key, bytes), bytes.length, bytes.length, sha(bytes));
    }

    private String put(String key, byte[] bytes) throws IOException {
        ObjectPut.put(storage, key, new ByteArrayInputStream(bytes), Compression.NONE, 0, Optional.empty(), null);
        return key;
    }

    private static String sha(byte[] bytes) throws IOException {
        return dev.walden.repo.Checksums.sha256(new ByteArrayInputStream(bytes));
    }

    private static byte[] random(int length, long seed) {
        byte[] bytes = new byte[length];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    private static BackupManifest manifest(BackupManifest.BackupFile file) {
        return new BackupManifest(BackupManifest.FORMAT, LABEL, BackupManifest.COMPLETE, null,
                "7000000000000000001", "15.10", 15, 16 * 1024 * 1024, "2026-12-06T00:00:00Z", "2026-12-06T00:00:01Z",
                "0/2000028", "0/2000100", 1, 1, "000000010000000000000002", "000000010000000000000002", "none",
                0, 0, true, List.of(), List.of(), List.of("base", "base/5"), List.of(file),
                BackupManifest.INCREMENTAL, "20261205T000000Z");
    }
}
