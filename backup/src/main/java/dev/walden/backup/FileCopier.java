package dev.walden.backup;

import dev.walden.catalog.BackupManifest;
import dev.walden.catalog.BlockMap;
import dev.walden.repo.Compression;
import dev.walden.repo.ObjectPut;
import dev.walden.repo.ObjectRead;
import dev.walden.storage.Storage;
import dev.walden.wal.Lsn;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Copies one file of the data directory into the repository, checking data page checksums on
 * the way when the cluster has them: a page that fails is read again, and reported only if it
 * fails again with the same content (a page being written while we read it is repaired by WAL
 * replay, as pgBackRest reasons).
 *
 * <p>For an incremental backup it compares with the parent's entry for the same path: a file
 * whose size and settled modification time are the parent's is not read at all and keeps the
 * parent's entry; a tracked relation file stores only its changed blocks as a delta (see
 * {@link ChangedBlocks}); anything else is copied whole. Why this can't miss a change is argued in
 * docs/architecture.md.
 */
final class FileCopier {
    /** Relation files from this size on are tracked by block; smaller ones are copied whole when they change. */
    static final long TRACKED_FROM = 128 * 1024;
    /** A file rebuilt from more deltas than this is copied whole instead, to keep restores short. */
    static final int MAX_DELTAS = 30;
    /**
     * A file whose first blocks (up to 32 MiB of them) changed more than this much is copied whole
     * instead: a delta of nearly every block costs as much to store, and a restore would read the
     * old base only to skip it.
     */
    static final double MOSTLY_CHANGED = 0.5;
    private static final int SAMPLE_BLOCKS = 4096;
    /**
     * A modification time this close to the copy (or later) proves nothing: the file may have been
     * written again within the file system's timestamp granularity after it was read.
     */
    static final Duration SETTLED = Duration.ofSeconds(2);

    private final Storage storage;
    private final Compression compression;
    private final int level;
    private final boolean verifyChecksums;
    private final Optional<Parent> parent;
    private final Instant copyStart;

    /** A copied file and the pages that failed their checksum twice. */
    record Copied(BackupManifest.BackupFile file, List<BackupManifest.PageFailure> failures) {
    }

    /** Where a file's objects go: its whole copy, its delta, its block map. */
    record Keys(String data, String delta, String blockMap) {
    }

    /**
     * What an incremental builds on: the parent's files by path, and where the parent began (a page
     * whose LSN is past it changed since, whatever its hash says).
     */
    record Parent(Map<String, BackupManifest.BackupFile> files, Lsn startLsn) {
    }

    FileCopier(Storage storage, Compression compression, int level, boolean verifyChecksums, Optional<Parent> parent,
               Instant copyStart) {
        this.storage = storage;
        this.compression = compression;
        this.level = level;
        this.verifyChecksums = verifyChecksums;
        this.parent = parent;
        this.copyStart = copyStart;
    }

    /** Copies the file; empty when it vanished before we opened it (a dropped relation). */
    Optional<Copied> copy(DataDirectoryScan.SourceFile source, Keys keys) throws IOException {
        Optional<BackupManifest.BackupFile> previous = parent.map(p -> p.files().get(source.path()));
        String mtime = source.modified().toString();
        if (previous.isPresent() && mtime.equals(previous.get().mtime()) && previous.get().size() == source.size()) {
            BackupManifest.BackupFile p = previous.get();
            return Optional.of(new Copied(new BackupManifest.BackupFile(p.path(), p.key(), p.size(), p.storedSize(),
                    p.sha256(), source.mode(), p.mtime(), p.deltas(), p.blockMap()), List.of()));
        }
        String settledMtime = source.modified().isBefore(copyStart.minus(SETTLED)) ? mtime : null;
        FileChannel channel;
        try {
            channel = FileChannel.open(source.source(), StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        try (channel) {
            boolean tracked = source.relation() && source.size() >= TRACKED_FROM && source.size() <= BlockMap.MAX_FILE_SIZE;
            List<BackupManifest.PageFailure> failures = new ArrayList<>();
            PageVerifier pages = verifyChecksums && source.relation()
                    ? new PageVerifier(channel, source.path(), failures) : null;
            try {
                if (tracked && previous.isPresent() && previous.get().blockMap() != null
                        && previous.get().deltas().size() < MAX_DELTAS) {
                    BlockMap before = readMap(previous.get());
                    if (ChangedBlocks.changedShare(channel, before, parent.orElseThrow().startLsn(), SAMPLE_BLOCKS)
                            <= MOSTLY_CHANGED) {
                        return Optional.of(new Copied(delta(source, channel, previous.get(), before, keys,
                                settledMtime, pages), failures));
                    }
                }
                return Optional.of(new Copied(whole(source, channel, keys, tracked, settledMtime, pages), failures));
            } catch (IOException e) {
                throw new IOException("copying '" + source.path() + "': " + e.getMessage(), e);
            }
        }
    }

    private BackupManifest.BackupFile whole(DataDirectoryScan.SourceFile source, FileChannel channel, Keys keys,
                                            boolean tracked, String mtime, PageVerifier pages) throws IOException {
        InputStream in = Channels.newInputStream(channel);
        BlockHashes hashes = tracked ? new BlockHashes() : null;
        ObjectPut.Inspector inspector = hashes == null && pages == null ? null : (buffer, length) -> {
            if (pages != null) {
                pages.inspect(buffer, length);
            }
            if (hashes != null) {
                hashes.add(buffer, length);
            }
        };
        ObjectPut.Result result = ObjectPut.put(storage, keys.data(), in, compression, level, Optional.empty(),
                inspector);
        BackupManifest.StoredObject map = hashes == null ? null : putMap(keys.blockMap(), hashes.finish());
        return new BackupManifest.BackupFile(source.path(), keys.data(), result.originalBytes(), result.storedBytes(),
                result.sha256(), source.mode(), mtime, List.of(), map);
    }

    private BlockMap readMap(BackupManifest.BackupFile previous) throws IOException {
        BackupManifest.StoredObject map = previous.blockMap();
        try (InputStream in = ObjectRead.open(storage, map.key(), compression, map.sha256(),
                "the block map of '" + previous.path() + "' (object '" + map.key() + "')")) {
            return BlockMap.read(in);
        }
    }

    private BackupManifest.BackupFile delta(DataDirectoryScan.SourceFile source, FileChannel channel,
                                            BackupManifest.BackupFile previous, BlockMap before, Keys keys,
                                            String mtime, PageVerifier pages) throws IOException {
        BackupManifest.StoredObject previousMap = previous.blockMap();
        ChangedBlocks changed = new ChangedBlocks(channel, before, parent.orElseThrow().startLsn(), pages);
        ObjectPut.Result result = ObjectPut.put(storage, keys.delta(), changed, compression, level, Optional.empty(),
                null);
        List<BackupManifest.Delta> deltas = new ArrayList<>(previous.deltas());
        if (changed.changedCount() > 0) {
            deltas.add(new BackupManifest.Delta(keys.delta(), changed.fileSize(), result.storedBytes(),
                    result.sha256(), changed.changedBlocks()));
        } else {
            storage.delete(keys.delta()); // nothing changed but the time: the parent's blocks are the file
        }
        BlockMap after = changed.blockMap();
        BackupManifest.StoredObject map = changed.changedCount() == 0 && after.fileSize() == before.fileSize()
                ? previousMap : putMap(keys.blockMap(), after);
        return new BackupManifest.BackupFile(source.path(), previous.key(), after.fileSize(), previous.storedSize(),
                previous.sha256(), source.mode(), mtime, deltas, map);
    }

    private BackupManifest.StoredObject putMap(String key, BlockMap map) throws IOException {
        ObjectPut.Result result = ObjectPut.put(storage, key, new ByteArrayInputStream(map.toBytes()), compression,
                level, Optional.empty(), null);
        return new BackupManifest.StoredObject(key, result.originalBytes(), result.storedBytes(), result.sha256());
    }

    /** Copies {@code global/pg_control}, read until its CRC checks out (a checkpoint may be writing it). */
    Copied copyPgControl(DataDirectoryScan.SourceFile source, String key) throws IOException {
        byte[] bytes = PgControl.readIntact(source.source());
        ObjectPut.Result result = ObjectPut.put(storage, key, new ByteArrayInputStream(bytes), compression, level,
                Optional.empty(), null);
        return new Copied(new BackupManifest.BackupFile(source.path(), key, result.originalBytes(), result.storedBytes(),
                result.sha256(), source.mode()), List.of());
    }

    /** The block hashes of a whole copy, from the chunks it streams (any sizes). */
    private static final class BlockHashes {
        private final byte[] block = new byte[BlockMap.BLOCK_SIZE];
        private int filled;
        private long size;
        private long[] hashes = new long[64];
        private int count;

        void add(byte[] buffer, int length) {
            int at = 0;
            while (at < length) {
                int n = Math.min(length - at, block.length - filled);
                System.arraycopy(buffer, at, block, filled, n);
                filled += n;
                at += n;
                if (filled == block.length) {
                    push();
                }
            }
            size += length;
        }

        private void push() {
            if (count == hashes.length) {
                hashes = java.util.Arrays.copyOf(hashes, count * 2);
            }
            hashes[count++] = BlockMap.hash(block, 0, filled);
            filled = 0;
        }

        BlockMap finish() {
            if (filled > 0) {
                push();
            }
            return BlockMap.of(size, java.util.Arrays.copyOf(hashes, count));
        }
    }
}
