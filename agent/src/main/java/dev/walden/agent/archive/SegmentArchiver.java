package dev.walden.agent.archive;

import dev.walden.protocol.ErrorCode;
import dev.walden.repo.Checksums;
import dev.walden.repo.Compression;
import dev.walden.repo.ObjectPut;
import dev.walden.repo.Repository;
import dev.walden.repo.StoredWal;
import dev.walden.wal.ClusterIdentity;
import dev.walden.wal.WalFileCheck;
import dev.walden.wal.WalFileException.Reason;
import dev.walden.wal.WalFileException;
import dev.walden.wal.WalFileName;
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
 * <p>A file not archived yet is read once: hashed (the SHA-256 is part of the object name),
 * checked and compressed in the same pass, the compressed bytes held in memory until the hash
 * names the object. Reading once saves the CPU of a second pass over the file and of the CRC-32C
 * that guards it (measured in docs/benchmarks.md, StoreBenchmark). Memory is bounded by
 * {@link #MAX_HELD_BYTES} per worker: a file that compresses to more (a larger-than-default
 * segment that compresses badly) is read twice instead, once to hash it and once to store it, the
 * second read checking a CRC-32C taken in the first, so a file that changed in between is never
 * stored under the first read's SHA-256. A file already archived under its name is read once, to
 * hash it and compare.
 */
public final class SegmentArchiver {
    /**
     * The most compressed bytes a worker holds while hashing: a default 16 MiB segment however
     * badly it compresses, plus the compressors' framing.
     */
    public static final int MAX_HELD_BYTES = 17 * 1024 * 1024;

    private final WalDirectory walDirectory;
    private final Repository repository;
    private final Compression compression;
    private final int level;
    private final Clock clock;
    private final ArchivedIndex index;
    private final int maxHeldBytes;

    public SegmentArchiver(WalDirectory walDirectory, Repository repository, Compression compression, int level,
                           Clock clock) {
        this(walDirectory, repository, compression, level, clock, new ArchivedIndex(), MAX_HELD_BYTES);
    }

    /** @param maxHeldBytes the compressed bytes one read may hold; tests lower it to take the two-read way */
    public SegmentArchiver(WalDirectory walDirectory, Repository repository, Compression compression, int level, Clock clock,
                    ArchivedIndex index, int maxHeldBytes) {
        this.maxHeldBytes = maxHeldBytes;
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
        WalDirectory.WalFile file;
        try {
            file = walDirectory.resolve(requestedPath);
        } catch (WalFileException e) {
            return WireCodes.refusal(e);
        }
        return archive(file);
    }

    /**
     * Archives {@code file}, already checked and resolved ({@link WalDirectory#resolve}); never
     * throws, every failure is a {@link ArchiveResult.Failed}.
     */
    public ArchiveResult archive(WalDirectory.WalFile file) {
        Instant start = clock.instant();
        try {
            return archive(file, start);
        } catch (WalFileException e) {
            return WireCodes.refusal(e);
        } catch (IOException e) {
            return new ArchiveResult.Failed(ErrorCode.STORAGE_FAILED, e.getMessage());
        } catch (RuntimeException e) {
            return new ArchiveResult.Failed(ErrorCode.INTERNAL, "internal error archiving '" + file.path() + "': " + e);
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
            Optional<StoredWal> existing = repository.wal().find(file.name());
            if (existing.isPresent()) {
                StoredWal stored = existing.get();
                String sha256 = firstRead(file, channel, cluster).sha256();
                if (!repository.wal().holds(stored, sha256)) {
                    throw new WalFileException(Reason.DUPLICATE_DIFFERS, "'" + file.name() + "' is already archived"
                            + " with different content (" + stored.contentName() + " in the repository's name, SHA-256 "
                            + sha256 + " in pg_wal); nothing was overwritten");
                }
                // PostgreSQL re-archives after a crash; the earlier copy may not be on disk yet.
                repository.wal().sync(stored);
                index.put(stored, source);
                return new ArchiveResult.Stored(stored, size, true, Duration.between(start, clock.instant()));
            }
            if (file.name().holdsWal() && file.name().timeline() > 1) {
                // what the file is comes first: WAL of another system is foreign whatever its timeline
                WalFileCheck.checkHeader(file.name(), head(file, channel), cluster);
                requireHistory(file);
            }
            ContentCheck check = new ContentCheck(file, cluster);
            Optional<StoredWal> inOneRead = repository.wal().storeInOneRead(file.name(), compression, level,
                    new PgWalReads(Channels.newInputStream(channel), file), maxHeldBytes, check, check);
            StoredWal stored;
            if (inOneRead.isPresent()) {
                stored = inOneRead.get();
            } else {
                // too large to hold compressed: hash first, then store, checking the CRC-32C
                channel.position(0);
                FirstRead first = firstRead(file, channel, cluster);
                channel.position(0);
                stored = repository.wal().store(file.name(), first.sha256(), first.crc32c(), compression, level,
                        new PgWalReads(Channels.newInputStream(channel), file));
            }
            index.put(stored, source);
            return new ArchiveResult.Stored(stored, size, false, Duration.between(start, clock.instant()));
        }
    }

    /**
     * Makes sure the history file of the segment's timeline is in the repository before the segment
     * is: without it, recovery can't follow the timeline, and a repository must never hold WAL it
     * can't replay. PostgreSQL archives a new timeline's history file before any of its segments,
     * but look-ahead may take a segment first, or one worker may be storing the history while
     * another stores the segment; so a history file still in pg_wal is archived here, first (two
     * workers storing the same file store identical objects). The segment is refused only when the
     * history is neither in the repository nor in pg_wal.
     */
    private void requireHistory(WalDirectory.WalFile file) throws IOException {
        WalFileName history = WalFileName.history(file.name().timeline());
        if (repository.wal().find(history).isPresent()) {
            return;
        }
        WalDirectory.WalFile inPgWal;
        try {
            inPgWal = walDirectory.resolve(file.path().resolveSibling(history.toString()).toString());
        } catch (WalFileException e) {
            if (e.reason() != Reason.FILE_NOT_FOUND) {
                throw e;
            }
            throw new WalFileException(Reason.MISSING_HISTORY, "'" + file.name() + "' is on timeline "
                    + file.name().timeline() + ", but '" + history + "' is neither in the repository nor in pg_wal:"
                    + " recovery could not follow that timeline; put the history file back into pg_wal (a copy from"
                    + " the server that created the timeline) and PostgreSQL's next attempt archives both");
        }
        try {
            archive(inPgWal, clock.instant());
        } catch (WalFileException e) {
            throw new WalFileException(e.reason(), "'" + file.name() + "' needs '" + history
                    + "' archived first, which failed: " + e.getMessage());
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
        return new WalFileException(Reason.READ_FAILED, "cannot read '" + file.name() + "' in pg_wal: " + reason);
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

    /** A read of its own for the checksums of the whole file, checking its content on the way. */
    private static FirstRead firstRead(WalDirectory.WalFile file, FileChannel channel, ClusterIdentity cluster)
            throws IOException {
        MessageDigest digest = Checksums.newDigest();
        CRC32C crc = new CRC32C();
        ContentCheck check = new ContentCheck(file, cluster);
        ByteBuffer buffer = ByteBuffer.allocate(128 * 1024);
        try {
            while (fill(channel, buffer) > 0) {
                check.inspect(buffer.array(), buffer.limit());
                crc.update(buffer.array(), 0, buffer.limit());
                digest.update(buffer);
            }
        } catch (WalFileException e) {
            throw e;
        } catch (IOException e) {
            throw readFailed(file, e);
        }
        check.check();
        return new FirstRead(Checksums.hex(digest), crc.getValue());
    }

    /**
     * What a file must hold to be archived, checked as its bytes stream past: a segment's first
     * page header must be this cluster's; a history or backup file must be the text it claims.
     */
    private static final class ContentCheck implements ObjectPut.Inspector, ObjectPut.CommitCheck {
        private final WalDirectory.WalFile file;
        private final ClusterIdentity cluster;
        private final ByteArrayOutputStream text;
        private boolean first = true;

        ContentCheck(WalDirectory.WalFile file, ClusterIdentity cluster) {
            this.file = file;
            this.cluster = cluster;
            this.text = file.name().holdsWal() ? null : new ByteArrayOutputStream();
        }

        @Override
        public void inspect(byte[] buffer, int length) throws WalFileException {
            if (first && text == null) {
                // the size check guarantees a whole segment, and reads come in 128 KiB chunks,
                // so the first chunk holds the header
                WalFileCheck.checkHeader(file.name(), Arrays.copyOf(buffer, WalPageHeader.LONG_HEADER_LENGTH), cluster);
            }
            first = false;
            if (text != null) {
                text.write(buffer, 0, length);
            }
        }

        @Override
        public void check() throws WalFileException {
            if (text != null) {
                WalFileCheck.checkText(file.name(), text.toByteArray());
            }
        }
    }

    /** The first page's long header, read without moving the channel's position. */
    private static byte[] head(WalDirectory.WalFile file, FileChannel channel) throws WalFileException {
        ByteBuffer head = ByteBuffer.allocate(WalPageHeader.LONG_HEADER_LENGTH);
        try {
            while (head.hasRemaining() && channel.read(head, head.position()) >= 0) {
                // keep reading; the size check guarantees a whole segment
            }
        } catch (IOException e) {
            throw readFailed(file, e);
        }
        return head.array();
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
