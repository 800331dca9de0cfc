package dev.walden.agent;

import dev.walden.protocol.ErrorCode;
import dev.walden.repo.Checksums;
import dev.walden.repo.Compression;
import dev.walden.repo.Repository;
import dev.walden.repo.StoredWal;
import dev.walden.wal.ClusterIdentity;
import dev.walden.wal.WalFileCheck;
import dev.walden.wal.WalFileException;
import dev.walden.wal.WalPageHeader;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.LinkOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Optional;
import java.util.zip.CRC32C;

/**
 * The work on one file: validate, checksum, compare with what is archived, compress, store
 * durably. Safe to call from several threads for different files.
 *
 * <p>The file is read twice: once to checksum it (the SHA-256 is part of the object name and
 * decides whether an existing copy is identical), once to compress and store it. The second read
 * comes from the page cache, and reading twice keeps memory per worker bounded whatever the
 * segment size. The first read also takes a CRC-32C, which the second read must match: a file
 * that changed in between is never stored under the first read's SHA-256, and checking that costs
 * a CRC-32C rather than a second SHA-256 (about 1 ms instead of 10 per 16 MiB).
 */
public final class SegmentArchiver {
    private final WalDirectory walDirectory;
    private final Repository repository;
    private final Compression compression;
    private final int level;
    private final Clock clock;
    private final ArchivedIndex index;

    public SegmentArchiver(WalDirectory walDirectory, Repository repository, Compression compression, int level,
                           Clock clock) {
        this(walDirectory, repository, compression, level, clock, new ArchivedIndex());
    }

    SegmentArchiver(WalDirectory walDirectory, Repository repository, Compression compression, int level, Clock clock,
                    ArchivedIndex index) {
        this.walDirectory = walDirectory;
        this.repository = repository;
        this.compression = compression;
        this.level = level;
        this.clock = clock;
        this.index = index;
    }

    ArchivedIndex index() {
        return index;
    }

    /** Archives the file at {@code requestedPath}; never throws, every failure is a {@link ArchiveResult.Failed}. */
    public ArchiveResult archive(String requestedPath) {
        Instant start = clock.instant();
        try {
            WalDirectory.WalFile file = walDirectory.resolve(requestedPath);
            return archive(file, start);
        } catch (WalFileException e) {
            return new ArchiveResult.Failed(e.code(), e.getMessage());
        } catch (IOException e) {
            return new ArchiveResult.Failed(ErrorCode.STORAGE_FAILED, e.getMessage());
        } catch (RuntimeException e) {
            return new ArchiveResult.Failed(ErrorCode.INTERNAL, "internal error archiving '" + requestedPath + "': " + e);
        }
    }

    private ArchiveResult archive(WalDirectory.WalFile file, Instant start) throws IOException {
        // taken before the file is read: if it changes while being hashed, it won't match later
        Optional<ArchivedIndex.Source> source = ArchivedIndex.Source.of(file.path());
        Optional<ArchiveResult> known = fromIndex(file, source, start);
        if (known.isPresent()) {
            return known.get();
        }
        ClusterIdentity cluster = repository.cluster();
        FileChannel channel;
        try {
            channel = FileChannel.open(file.path(), StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            throw readFailed(file, e);
        }
        try (channel) {
            long size = channel.size();
            WalFileCheck.checkSize(file.name(), size, cluster);
            FirstRead first;
            try {
                first = checksumAndCheck(file, channel, cluster);
            } catch (WalFileException e) {
                throw e;
            } catch (IOException e) {
                throw readFailed(file, e);
            }

            Optional<StoredWal> existing = repository.wal().find(file.name());
            if (existing.isPresent()) {
                StoredWal stored = existing.get();
                if (!stored.sha256().equals(first.sha256())) {
                    throw new WalFileException(ErrorCode.DUPLICATE_DIFFERS, "'" + file.name() + "' is already archived"
                            + " with different content (SHA-256 " + stored.sha256() + " in the repository, "
                            + first.sha256() + " in pg_wal); nothing was overwritten");
                }
                // PostgreSQL re-archives after a crash; the earlier copy may not be on disk yet.
                repository.wal().sync(stored);
                index.put(stored, source);
                return new ArchiveResult.Stored(stored, size, true, Duration.between(start, clock.instant()));
            }
            channel.position(0);
            StoredWal stored = repository.wal().store(file.name(), first.sha256(), first.crc32c(), compression, level,
                    new PgWalReads(Channels.newInputStream(channel), file));
            index.put(stored, source);
            return new ArchiveResult.Stored(stored, size, false, Duration.between(start, clock.instant()));
        }
    }

    /**
     * The answer for a file this agent already hashed and stored: given only when it is the same
     * file (inode, size, modification time) and its object is still in the repository.
     */
    private Optional<ArchiveResult> fromIndex(WalDirectory.WalFile file, Optional<ArchivedIndex.Source> source,
                                              Instant start) throws IOException {
        Optional<ArchivedIndex.Entry> entry = index.get(file.name());
        if (entry.isEmpty() || source.isEmpty() || !entry.get().source().equals(source)) {
            return Optional.empty();
        }
        StoredWal stored = entry.get().stored();
        if (repository.storage().stat(stored.key()).isEmpty()) {
            index.forget(file.name()); // expired or removed meanwhile: the long way decides
            return Optional.empty();
        }
        return Optional.of(new ArchiveResult.Stored(stored, source.get().size(), true,
                Duration.between(start, clock.instant())));
    }

    private static WalFileException readFailed(WalDirectory.WalFile file, IOException e) {
        String reason = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return new WalFileException(ErrorCode.READ_FAILED, "cannot read '" + file.name() + "' in pg_wal: " + reason);
    }

    /** Says that a failure while streaming the file to the repository was reading pg_wal, not storing. */
    private static final class PgWalReads extends FilterInputStream {
        private final WalDirectory.WalFile file;

        PgWalReads(InputStream in, WalDirectory.WalFile file) {
            super(in);
            this.file = file;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            try {
                return super.read(b, off, len);
            } catch (IOException e) {
                throw readFailed(file, e);
            }
        }
    }

    /** What the first read learnt: the SHA-256 that names the object, the CRC-32C the second read must match. */
    private record FirstRead(String sha256, long crc32c) {
    }

    /** First read: the checksums of the whole file, checking the header or text content on the way. */
    private static FirstRead checksumAndCheck(WalDirectory.WalFile file, FileChannel channel, ClusterIdentity cluster)
            throws IOException {
        MessageDigest digest = Checksums.newDigest();
        CRC32C crc = new CRC32C();
        ByteBuffer buffer = ByteBuffer.allocate(128 * 1024);
        ByteArrayOutputStream text = file.name().holdsWal() ? null : new ByteArrayOutputStream();
        boolean first = true;
        while (fill(channel, buffer) > 0) {
            if (first && text == null) {
                // the size check guarantees a whole segment, so the first block holds the header
                WalFileCheck.checkHeader(file.name(), Arrays.copyOf(buffer.array(), WalPageHeader.LONG_HEADER_LENGTH),
                        cluster);
            }
            first = false;
            if (text != null) {
                text.write(buffer.array(), 0, buffer.limit());
            }
            crc.update(buffer.array(), 0, buffer.limit());
            digest.update(buffer);
        }
        if (text != null) {
            WalFileCheck.checkText(file.name(), text.toByteArray());
        }
        return new FirstRead(Checksums.hex(digest), crc.getValue());
    }

    /** Reads until the buffer is full or the file ends; returns the bytes now in the flipped buffer. */
    private static int fill(FileChannel channel, ByteBuffer buffer) throws IOException {
        buffer.clear();
        while (buffer.hasRemaining() && channel.read(buffer) >= 0) {
            // keep reading
        }
        buffer.flip();
        return buffer.remaining();
    }
}
