package dev.walden.recovery;

import dev.walden.catalog.BackupManifest;
import dev.walden.catalog.BlockMap;
import dev.walden.catalog.BlockRanges;
import dev.walden.repo.Compression;
import dev.walden.repo.CorruptObjectException;
import dev.walden.repo.ObjectRead;
import dev.walden.storage.Storage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;

/**
 * Rebuilds one file of an incremental backup from its base object and its deltas, straight into
 * the target: each block is written once, from the newest object that holds it, while every
 * object streams past once, oldest first (no intermediate copy of the file). Every object is
 * checked against its SHA-256 as it ends, and every written block against the file's block map.
 */
final class ChainedFile {
    private static final int BLOCK = BlockMap.BLOCK_SIZE;

    private final Storage storage;
    private final Compression compression;
    private final BackupManifest.BackupFile file;
    private final String label;

    ChainedFile(Storage storage, Compression compression, BackupManifest.BackupFile file, String label) {
        this.storage = storage;
        this.compression = compression;
        this.file = file;
        this.label = label;
    }

    void writeTo(Path target) throws IOException {
        if (file.blockMap() == null) {
            throw new CorruptObjectException(what() + " has deltas but no block map: the manifest is damaged");
        }
        BlockMap map;
        try (InputStream in = open(file.blockMap().key(), file.blockMap().sha256())) {
            map = BlockMap.read(in);
        }
        if (map.fileSize() != file.size()) {
            throw new CorruptObjectException(what() + ": its block map describes " + map.fileSize()
                    + " bytes, the manifest " + file.size());
        }
        int blocks = map.blockCount();
        List<BackupManifest.Delta> deltas = file.deltas();
        long[][] lists = new long[deltas.size()][];
        for (int d = 0; d < deltas.size(); d++) {
            try {
                lists[d] = BlockRanges.parse(deltas.get(d).blocks(), BlockMap.blocks(deltas.get(d).size()));
            } catch (IllegalArgumentException e) {
                throw new CorruptObjectException(what() + ", delta '" + deltas.get(d).key() + "': " + e.getMessage());
            }
        }
        // owner[b]: 0 = the base, d + 1 = delta d; the newest object holding a block supplies it
        int[] owner = new int[blocks];
        Arrays.fill(owner, -1);
        for (int d = deltas.size() - 1; d >= 0; d--) {
            for (long b : lists[d]) {
                if (b < blocks && owner[(int) b] < 0) {
                    owner[(int) b] = d + 1;
                }
            }
        }
        long fromBase = Arrays.stream(owner).filter(o -> o < 0).count();
        for (int b = 0; b < blocks; b++) {
            owner[b] = Math.max(owner[b], 0);
        }
        try (FileChannel out = FileChannel.open(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            long written = base(out, map, owner, fromBase);
            for (int d = 0; d < deltas.size(); d++) {
                written += delta(out, map, owner, d, lists[d]);
            }
            if (written != blocks) {
                throw new IOException(what() + ": " + written + " of its " + blocks + " blocks rebuilt");
            }
        }
    }

    /** Streams the base, writing the blocks no delta replaces; returns how many it wrote. */
    private long base(FileChannel out, BlockMap map, int[] owner, long expected) throws IOException {
        long written = 0;
        try (InputStream in = open(file.key(), file.sha256())) {
            byte[] block = new byte[BLOCK];
            for (long b = 0; ; b++) {
                int n = in.readNBytes(block, 0, BLOCK);
                if (n == 0) {
                    break;
                }
                if (b < owner.length && owner[(int) b] == 0) {
                    put(out, map, b, block, n, file.key());
                    written++;
                }
            }
        }
        if (written != expected) {
            throw new CorruptObjectException(what() + ": its base object '" + file.key() + "' ends before the "
                    + expected + " blocks no delta holds (it held " + written + ")");
        }
        return written;
    }

    /** Streams delta {@code d}, writing the blocks it is the newest holder of. */
    private long delta(FileChannel out, BlockMap map, int[] owner, int d, long[] blocks) throws IOException {
        BackupManifest.Delta delta = file.deltas().get(d);
        long written = 0;
        try (InputStream in = open(delta.key(), delta.sha256())) {
            byte[] block = new byte[BLOCK];
            for (long b : blocks) {
                int length = (int) Math.min(BLOCK, delta.size() - b * BLOCK);
                if (in.readNBytes(block, 0, length) != length) {
                    throw new CorruptObjectException(what() + ": delta '" + delta.key() + "' ends before block " + b);
                }
                if (b < owner.length && owner[(int) b] == d + 1) {
                    put(out, map, b, block, length, delta.key());
                    written++;
                }
            }
            if (in.read() >= 0) { // also reaches the end, where the stream checks the SHA-256
                throw new CorruptObjectException(what() + ": delta '" + delta.key() + "' is longer than its blocks");
            }
        }
        return written;
    }

    /** Writes block {@code b} after checking it against the map; {@code length} bytes of it are the object's. */
    private void put(FileChannel out, BlockMap map, long b, byte[] block, int length, String key) throws IOException {
        int wanted = (int) Math.min(BLOCK, map.fileSize() - b * BLOCK);
        if (length < wanted || BlockMap.hash(block, 0, wanted) != map.hash(b)) {
            throw new CorruptObjectException(what() + ": block " + b + " from object '" + key
                    + "' does not match the block map");
        }
        ByteBuffer buffer = ByteBuffer.wrap(block, 0, wanted);
        long position = b * BLOCK;
        while (buffer.hasRemaining()) {
            position += out.write(buffer, position);
        }
    }

    private InputStream open(String key, String sha256) throws IOException {
        return ObjectRead.open(storage, key, compression, sha256, what() + " (object '" + key + "' in "
                + storage.describe() + ")");
    }

    private String what() {
        return "file '" + file.path() + "' of backup " + label;
    }
}
