package dev.walden.backup;

import dev.walden.catalog.BackupManifest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.Arrays;
import java.util.List;

/**
 * Checks the data page checksums of one relation file as its pages stream past. A page that fails
 * is read again, and reported only if it fails again with the same content: a page being written
 * while we read it is repaired by WAL replay (pgBackRest reasons the same way).
 */
final class PageVerifier {
    private final FileChannel channel;
    private final String path;
    private final List<BackupManifest.PageFailure> failures;
    /** The block number of the file's first page within its relation (segment number × blocks per segment). */
    private final long firstBlock;
    private long offset;

    PageVerifier(FileChannel channel, String path, List<BackupManifest.PageFailure> failures) {
        this.channel = channel;
        this.path = path;
        this.failures = failures;
        int dot = path.lastIndexOf('.');
        long segment = dot > path.lastIndexOf('/') ? Long.parseLong(path.substring(dot + 1)) : 0;
        this.firstBlock = segment * PageChecksum.BLOCKS_PER_SEGMENT;
    }

    /** Checks the whole pages of the next {@code length} bytes of the file, which begin a page. */
    void inspect(byte[] buffer, int length) throws IOException {
        // buffers are multiples of the page size except at the end of the file; a short last
        // page is being extended right now and WAL replay will complete it
        for (int at = 0; at + PageChecksum.BLOCK_SIZE <= length; at += PageChecksum.BLOCK_SIZE) {
            check(buffer, at, (offset + at) / PageChecksum.BLOCK_SIZE);
        }
        offset += length;
    }

    /** Checks one whole page, block {@code block} of the file, held at {@code at} of {@code buffer}. */
    void check(byte[] buffer, int at, long block) throws IOException {
        if (!PageChecksum.verify(buffer, at, firstBlock + block)) {
            recheck(Arrays.copyOfRange(buffer, at, at + PageChecksum.BLOCK_SIZE), block);
        }
    }

    private void recheck(byte[] first, long block) throws IOException {
        ByteBuffer again = ByteBuffer.allocate(PageChecksum.BLOCK_SIZE);
        long position = block * PageChecksum.BLOCK_SIZE;
        while (again.hasRemaining() && channel.read(again, position + again.position()) > 0) {
            // read the whole page again
        }
        byte[] second = again.array();
        if (again.hasRemaining() || !Arrays.equals(first, second)) {
            return; // changed (or truncated) under us: being written, WAL has the real page
        }
        if (!PageChecksum.verify(second, 0, firstBlock + block)) {
            synchronized (failures) {
                failures.add(new BackupManifest.PageFailure(path, firstBlock + block));
            }
        }
    }
}
