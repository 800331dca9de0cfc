package dev.walden.recovery;

import dev.walden.catalog.BackupManifest;
import dev.walden.catalog.BlockMap;
import dev.walden.repo.Checksums;
import dev.walden.repo.Compression;
import dev.walden.repo.ObjectRead;
import dev.walden.storage.Storage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * For {@code recover --delta}: whether a file already in the target is exactly the backup's, so
 * that it can be kept. A whole copy must have the backup's size and SHA-256; a file rebuilt from
 * deltas must have the backup's size and every block as its block map records it.
 */
final class DeltaCheck {
    private DeltaCheck() {
    }

    static boolean matches(Storage storage, Compression compression, BackupManifest.BackupFile file, Path target)
            throws IOException {
        BasicFileAttributes attributes;
        try {
            attributes = Files.readAttributes(target, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (java.nio.file.NoSuchFileException e) {
            return false;
        }
        if (!attributes.isRegularFile() || attributes.size() != file.size()) {
            return false;
        }
        if (file.deltas().isEmpty()) {
            try (InputStream in = Files.newInputStream(target)) {
                return Checksums.sha256(in).equals(file.sha256());
            }
        }
        BlockMap map;
        try (InputStream in = ObjectRead.open(storage, file.blockMap().key(), compression, file.blockMap().sha256(),
                "the block map of '" + file.path() + "' (object '" + file.blockMap().key() + "')")) {
            map = BlockMap.read(in);
        }
        if (map.fileSize() != file.size()) {
            return false;
        }
        try (InputStream in = Files.newInputStream(target)) {
            byte[] block = new byte[BlockMap.BLOCK_SIZE];
            for (int b = 0; b < map.blockCount(); b++) {
                int n = in.readNBytes(block, 0, block.length);
                if (n == 0 || BlockMap.hash(block, 0, n) != map.hash(b)) {
                    return false;
                }
            }
            return in.read() < 0;
        }
    }
}
