package dev.walden.backup;

import dev.walden.catalog.BackupManifest;
import dev.walden.repo.Compression;
import dev.walden.repo.ObjectPut;
import dev.walden.storage.Storage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Copies one file of the data directory into the repository, checking data page checksums on
 * the way when the cluster has them: a page that fails is read again, and reported only if it
 * fails again with the same content (a page being written while we read it is repaired by WAL
 * replay, as pgBackRest reasons).
 */
final class FileCopier {
    private final Storage storage;
    private final Compression compression;
    private final int level;
    private final boolean verifyChecksums;

    /** A copied file and the pages that failed their checksum twice. */
    record Copied(BackupManifest.BackupFile file, List<BackupManifest.PageFailure> failures) {
    }

    FileCopier(Storage storage, Compression compression, int level, boolean verifyChecksums) {
        this.storage = storage;
        this.compression = compression;
        this.level = level;
        this.verifyChecksums = verifyChecksums;
    }

    /** Copies the file to {@code key}; empty when it vanished before we opened it (a dropped relation). */
    Optional<Copied> copy(DataDirectoryScan.SourceFile source, String key) throws IOException {
        FileChannel channel;
        try {
            channel = FileChannel.open(source.source(), StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        try (channel) {
            List<BackupManifest.PageFailure> failures = new ArrayList<>();
            ObjectPut.Inspector inspector = verifyChecksums && source.relation()
                    ? new PageInspector(channel, source.path(), failures) : null;
            InputStream in = Channels.newInputStream(channel);
            ObjectPut.Result result;
            try {
                result = ObjectPut.put(storage, key, in, compression, level, Optional.empty(), inspector);
            } catch (IOException e) {
                throw new IOException("copying '" + source.path() + "': " + e.getMessage(), e);
            }
            return Optional.of(new Copied(new BackupManifest.BackupFile(source.path(), key, result.originalBytes(),
                    result.storedBytes(), result.sha256(), source.mode()), failures));
        }
    }

    /** Copies {@code global/pg_control}, read until its CRC checks out (a checkpoint may be writing it). */
    Copied copyPgControl(DataDirectoryScan.SourceFile source, String key) throws IOException {
        byte[] bytes = PgControl.readIntact(source.source());
        ObjectPut.Result result = ObjectPut.put(storage, key, new java.io.ByteArrayInputStream(bytes), compression, level,
                Optional.empty(), null);
        return new Copied(new BackupManifest.BackupFile(source.path(), key, result.originalBytes(), result.storedBytes(),
                result.sha256(), source.mode()), List.of());
    }

    /** Checks each whole 8 KiB page of a relation file as it streams past. */
    private static final class PageInspector implements ObjectPut.Inspector {
        private final FileChannel channel;
        private final String path;
        private final List<BackupManifest.PageFailure> failures;
        private final long firstBlock;
        private long offset;

        PageInspector(FileChannel channel, String path, List<BackupManifest.PageFailure> failures) {
            this.channel = channel;
            this.path = path;
            this.failures = failures;
            int dot = path.lastIndexOf('.');
            long segment = dot > path.lastIndexOf('/') ? Long.parseLong(path.substring(dot + 1)) : 0;
            this.firstBlock = segment * PageChecksum.BLOCKS_PER_SEGMENT;
        }

        @Override
        public void inspect(byte[] buffer, int length) throws IOException {
            // buffers are multiples of the page size except at the end of the file; a short last
            // page is being extended right now and WAL replay will complete it
            for (int at = 0; at + PageChecksum.BLOCK_SIZE <= length; at += PageChecksum.BLOCK_SIZE) {
                long block = (offset + at) / PageChecksum.BLOCK_SIZE;
                if (!PageChecksum.verify(buffer, at, firstBlock + block)) {
                    recheck(Arrays.copyOfRange(buffer, at, at + PageChecksum.BLOCK_SIZE), block);
                }
            }
            offset += length;
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
                failures.add(new BackupManifest.PageFailure(path, firstBlock + block));
            }
        }
    }
}
