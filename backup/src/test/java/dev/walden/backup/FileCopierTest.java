package dev.walden.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.catalog.BackupManifest;
import dev.walden.catalog.BlockMap;
import dev.walden.repo.Compression;
import dev.walden.repo.ObjectRead;
import dev.walden.storage.MemoryStorage;
import dev.walden.wal.Lsn;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What an incremental stores of a relation file, compared with its parent's copy. */
class FileCopierTest {
    private static final int PAGE = 8192;
    private static final String PATH = "base/5/16384";
    /** The parent began at this LSN; every page below was last written before it. */
    private static final Lsn PARENT_START = new Lsn(0x5000);

    @TempDir
    Path dir;
    private final MemoryStorage storage = new MemoryStorage();
    private final Instant copyStart = Instant.now();

    @Test
    void aDeltaHoldsExactlyTheChangedGrownAndNewlyLoggedBlocks() throws Exception {
        byte[] file = pages(40);
        Path source = write(file, copyStart.minusSeconds(60));
        BackupManifest.BackupFile parent = copy(source, Optional.empty(), "p").file();
        assertNotNull(parent.blockMap(), "a relation file of 320 KiB is tracked by block");
        assertEquals(40, readMap(parent).blockCount());
        assertNotNull(parent.mtime(), "a minute old: settled");

        // block 3: new content under its old LSN (a hint bit, or a page copied with its LSN by
        // CREATE DATABASE ... STRATEGY FILE_COPY); block 7: a WAL-logged change; two blocks added
        file[3 * PAGE + 100] ^= 1;
        setLsn(file, 7, 0x6000);
        byte[] grown = Arrays.copyOf(file, 42 * PAGE);
        System.arraycopy(pages(2), 0, grown, 40 * PAGE, 2 * PAGE);
        write(grown, copyStart.minusSeconds(30));
        BackupManifest.BackupFile child = copy(source, Optional.of(parent), "c").file();

        assertEquals(parent.key(), child.key(), "the base stays the parent's");
        assertEquals(1, child.deltas().size());
        assertEquals("3,7,40-41", child.deltas().get(0).blocks());
        assertEquals(42L * PAGE, child.size());
        assertEquals(42, readMap(child).blockCount());
        try (InputStream in = ObjectRead.open(storage, child.deltas().get(0).key(), Compression.ZSTD,
                child.deltas().get(0).sha256(), "delta")) {
            assertEquals(4L * PAGE, in.readAllBytes().length, "four pages, nothing else");
        }

        // truncated to 20 blocks, block 5 changed: a second delta on the first
        byte[] truncated = Arrays.copyOf(grown, 20 * PAGE);
        truncated[5 * PAGE + 4000] ^= 1;
        write(truncated, copyStart.minusSeconds(10));
        // the child began after block 7's change: for the grandchild, block 7 is old
        BackupManifest.BackupFile grandchild = copy(source, Optional.of(child), new Lsn(0x7000), "g").file();
        assertEquals(2, grandchild.deltas().size());
        assertEquals("5", grandchild.deltas().get(1).blocks());
        assertEquals(20L * PAGE, grandchild.size());
    }

    @Test
    void aPageWrittenAfterTheParentBeganIsStoredEvenWithTheSameContent() throws Exception {
        byte[] file = pages(20);
        setLsn(file, 2, 0x6000); // written during the parent's copy: the parent may hold it torn
        Path source = write(file, copyStart.minusSeconds(60));
        BackupManifest.BackupFile parent = copy(source, Optional.empty(), "p").file();
        write(file, copyStart.minusSeconds(30)); // touched, not changed
        BackupManifest.BackupFile child = copy(source, Optional.of(parent), "c").file();
        assertEquals("2", child.deltas().get(0).blocks());
    }

    @Test
    void anUnchangedFileIsNotReadAndARecentlyChangedOneProvesNothingNextTime() throws Exception {
        Path source = write(pages(20), copyStart.minusSeconds(60));
        BackupManifest.BackupFile parent = copy(source, Optional.empty(), "p").file();
        int objects = storage.list("").size();
        Files.setPosixFilePermissions(source, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r-----"));
        BackupManifest.BackupFile same = copy(source, Optional.of(parent), "c").file();
        assertEquals(objects, storage.list("").size(), "nothing stored for an unchanged file");
        assertEquals(parent.key(), same.key());
        assertEquals(parent.blockMap(), same.blockMap());
        assertEquals("rw-r-----", same.mode(), "the mode is the file's now");

        Path recent = write(pages(20), copyStart.minusMillis(500));
        assertNull(copy(recent, Optional.empty(), "r").file().mtime(),
                "written within the timestamp granularity of the copy: the next backup must read it");
    }

    @Test
    void aFileMostlyChangedIsCopiedWholeAndItsChainStartsAgain() throws Exception {
        byte[] file = pages(40);
        Path source = write(file, copyStart.minusSeconds(60));
        BackupManifest.BackupFile parent = copy(source, Optional.empty(), "p").file();
        for (int block = 0; block < 21; block++) { // 21 of 40: more than half
            file[block * PAGE + 200] ^= 1;
        }
        write(file, copyStart.minusSeconds(30));
        BackupManifest.BackupFile child = copy(source, Optional.of(parent), "c").file();
        assertTrue(child.deltas().isEmpty(), "a new base, no deltas");
        assertEquals("b/c/data", child.key());
        assertEquals("b/c/map", child.blockMap().key());

        file[PAGE + 300] ^= 1;
        write(file, copyStart.minusSeconds(20));
        assertEquals("1", copy(source, Optional.of(child), "g").file().deltas().get(0).blocks(),
                "the next incremental builds on the new base");
    }

    @Test
    void smallFilesAreCopiedWholeWithoutAMap() throws Exception {
        Path source = write(pages(4), copyStart.minusSeconds(60));
        BackupManifest.BackupFile parent = copy(source, Optional.empty(), "p").file();
        assertNull(parent.blockMap());
        write(pages(5), copyStart.minusSeconds(30));
        BackupManifest.BackupFile child = copy(source, Optional.of(parent), "c").file();
        assertTrue(child.deltas().isEmpty());
        assertEquals(5L * PAGE, child.size());
        assertTrue(child.key().contains("/c/"), "a new whole copy: " + child.key());
    }

    /**
     * A relation past 1 GiB is a second file, {@code 16384.1}: the first is extended to the segment's
     * end, the second is new (copied whole, with a map) and tracked by block from then on, like any.
     * Shown here with short files; the IT clusters use PostgreSQL's fixed 1 GiB segments (see
     * docs/architecture.md).
     */
    @Test
    void aRelationGrowingIntoItsNextSegmentFileIsTrackedPerSegment() throws Exception {
        byte[] first = pages(40);
        Path segment0 = write(first, copyStart.minusSeconds(60));
        BackupManifest.BackupFile parent = copy(segment0, Optional.empty(), "p").file();

        byte[] full = Arrays.copyOf(first, 48 * PAGE); // the last blocks of segment 0, then segment 1 begins
        System.arraycopy(pages(8), 0, full, 40 * PAGE, 8 * PAGE);
        write(full, copyStart.minusSeconds(30));
        BackupManifest.BackupFile child0 = copy(segment0, Optional.of(parent), "c").file();
        assertEquals("40-47", child0.deltas().get(0).blocks());
        Path segment1 = Files.write(dir.resolve("16384.1"), pages(24));
        Files.setLastModifiedTime(segment1, FileTime.from(copyStart.minusSeconds(30)));
        BackupManifest.BackupFile child1 = copy(PATH + ".1", segment1, Optional.of(Map.of(PATH, parent)),
                PARENT_START, "c").file();
        assertTrue(child1.deltas().isEmpty(), "no parent copy of segment 1: copied whole");
        assertNotNull(child1.blockMap(), "and tracked by block from now on");

        byte[] changed = Files.readAllBytes(segment1);
        changed[9 * PAGE + 1000] ^= 1;
        Files.write(segment1, changed);
        Files.setLastModifiedTime(segment1, FileTime.from(copyStart.minusSeconds(10)));
        BackupManifest.BackupFile grandchild1 = copy(PATH + ".1", segment1,
                Optional.of(Map.of(PATH, child0, PATH + ".1", child1)), PARENT_START, "g").file();
        assertEquals(child1.key(), grandchild1.key());
        assertEquals("9", grandchild1.deltas().get(0).blocks(), "block 9 of segment 1, not of the relation");
    }

    private FileCopier.Copied copy(Path source, Optional<BackupManifest.BackupFile> parent, String backup)
            throws Exception {
        return copy(source, parent, PARENT_START, backup);
    }

    private FileCopier.Copied copy(Path source, Optional<BackupManifest.BackupFile> parent, Lsn parentStart,
                                   String backup) throws Exception {
        return copy(PATH, source, parent.map(p -> Map.of(PATH, p)), parentStart, backup);
    }

    private FileCopier.Copied copy(String path, Path source, Optional<Map<String, BackupManifest.BackupFile>> parent,
                                   Lsn parentStart, String backup) throws Exception {
        FileCopier copier = new FileCopier(storage, Compression.ZSTD, 1, false,
                parent.map(files -> new FileCopier.Parent(files, parentStart)), copyStart);
        var attributes = Files.readAttributes(source, java.nio.file.attribute.PosixFileAttributes.class);
        DataDirectoryScan.SourceFile file = new DataDirectoryScan.SourceFile(path, source, attributes.size(),
                java.nio.file.attribute.PosixFilePermissions.toString(attributes.permissions()), true,
                attributes.lastModifiedTime().toInstant());
        return copier.copy(file, new FileCopier.Keys("b/" + backup + "/data", "b/" + backup + "/delta",
                "b/" + backup + "/map")).orElseThrow();
    }

    private BlockMap readMap(BackupManifest.BackupFile file) throws Exception {
        try (InputStream in = ObjectRead.open(storage, file.blockMap().key(), Compression.ZSTD,
                file.blockMap().sha256(), "map")) {
            return BlockMap.read(in);
        }
    }

    private Path write(byte[] content, Instant modified) throws Exception {
        Path file = dir.resolve("16384");
        Files.write(file, content);
        Files.setLastModifiedTime(file, FileTime.from(modified));
        return file;
    }

    /** Pages with distinct contents, each with an LSN below the parent's start. */
    private static byte[] pages(int count) {
        byte[] bytes = new byte[count * PAGE];
        java.util.Random random = new java.util.Random(count);
        random.nextBytes(bytes);
        for (int i = 0; i < count; i++) {
            setLsn(bytes, i, 0x100 + i);
        }
        return bytes;
    }

    private static void setLsn(byte[] file, int block, long lsn) {
        ByteBuffer page = ByteBuffer.wrap(file, block * PAGE, 8).order(ByteOrder.nativeOrder());
        page.putInt(block * PAGE, (int) (lsn >>> 32));
        page.putInt(block * PAGE + 4, (int) lsn);
    }
}
