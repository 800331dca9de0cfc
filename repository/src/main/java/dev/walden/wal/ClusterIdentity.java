package dev.walden.wal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * What binds WAL to one database cluster: the system identifier, the major version and the WAL
 * segment size. A repository records these when it is created and refuses WAL that disagrees.
 */
public record ClusterIdentity(long systemIdentifier, int pgMajor, WalSegmentSize segmentSize) {

    /** The page magic this cluster's WAL must carry. */
    public int walMagic() {
        return PgVersion.walMagic(pgMajor).orElseThrow();
    }

    /**
     * Reads the identity of the cluster in {@code pgdata} without talking to the server: the major
     * version from {@code PG_VERSION}, the system identifier from the first 8 bytes of
     * {@code global/pg_control} (the same offset in every version), and the segment size from the
     * WAL segments in {@code pgWal}, cross-checked against the first one with a valid header.
     */
    public static ClusterIdentity read(Path pgdata, Path pgWal) throws IOException {
        int major = readMajor(pgdata);
        long systemIdentifier = readSystemIdentifier(pgdata);
        WalSegmentSize size = readSegmentSize(pgWal, systemIdentifier, major);
        return new ClusterIdentity(systemIdentifier, major, size);
    }

    private static int readMajor(Path pgdata) throws IOException {
        Path file = pgdata.resolve("PG_VERSION");
        String text;
        try {
            text = Files.readString(file, StandardCharsets.US_ASCII).strip();
        } catch (NoSuchFileException e) {
            throw new IOException("'" + pgdata + "' is not a PostgreSQL data directory: it has no PG_VERSION");
        }
        int major;
        try {
            major = Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new IOException("'" + file + "' holds '" + text + "', which is not a supported major version");
        }
        if (!PgVersion.isSupported(major)) {
            throw new IOException("PostgreSQL " + major + " (from '" + file + "') is not supported; walden supports 13-18");
        }
        return major;
    }

    /** The system identifier in {@code pgdata}'s {@code global/pg_control}. */
    public static long readSystemIdentifier(Path pgdata) throws IOException {
        Path file = pgdata.resolve("global").resolve("pg_control");
        byte[] head = new byte[8];
        try (InputStream in = Files.newInputStream(file)) {
            if (in.readNBytes(head, 0, 8) != 8) {
                throw new IOException("'" + file + "' is shorter than 8 bytes");
            }
        } catch (NoSuchFileException e) {
            throw new IOException("'" + pgdata + "' has no global/pg_control");
        }
        return ByteBuffer.wrap(head).order(ByteOrder.nativeOrder()).getLong();
    }

    /**
     * Writes a {@code global/pg_control} (8 KiB, like PostgreSQL's) that holds only the system
     * identifier, where {@link #readSystemIdentifier} reads it: for made-up clusters, the start-up
     * cache's training and tests, never for a real one.
     */
    public static void writeMadeUpControlFile(Path pgdata, long systemIdentifier) throws IOException {
        byte[] control = new byte[8192];
        ByteBuffer.wrap(control).order(ByteOrder.nativeOrder()).putLong(0, systemIdentifier);
        Files.createDirectories(pgdata.resolve("global"));
        Files.write(pgdata.resolve("global").resolve("pg_control"), control);
    }

    private static WalSegmentSize readSegmentSize(Path pgWal, long systemIdentifier, int major) throws IOException {
        List<Path> segments = new ArrayList<>();
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(pgWal)) {
            for (Path p : dir) {
                try {
                    WalFileName name = WalFileName.parse(p.getFileName().toString());
                    if (name.kind() == WalFileName.Kind.SEGMENT && Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                        segments.add(p);
                    }
                } catch (IllegalArgumentException notWal) {
                    // archive_status, summaries, temporary files: not segments
                }
            }
        } catch (NoSuchFileException e) {
            throw new IOException("WAL directory '" + pgWal + "' does not exist");
        }
        if (segments.isEmpty()) {
            throw new IOException("'" + pgWal + "' holds no WAL segment to learn the segment size from");
        }
        Collections.sort(segments);
        long fileSize = Files.size(segments.get(0));
        WalSegmentSize size;
        try {
            size = new WalSegmentSize(Math.toIntExact(fileSize));
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new IOException("segment '" + segments.get(0) + "' is " + fileSize
                    + " bytes, not a valid WAL segment size");
        }
        int magic = PgVersion.walMagic(major).orElseThrow();
        for (Path segment : segments) {
            byte[] head = new byte[WalPageHeader.LONG_HEADER_LENGTH];
            try (InputStream in = Files.newInputStream(segment)) {
                if (in.readNBytes(head, 0, head.length) != head.length) {
                    continue;
                }
            }
            WalPageHeader header = WalPageHeader.parse(head);
            if (header.magic() != magic || (header.info() & WalPageHeader.XLP_LONG_HEADER) == 0) {
                continue; // pre-allocated and never written
            }
            if (header.systemIdentifier() != systemIdentifier) {
                throw new IOException("segment '" + segment + "' belongs to system " + Long.toUnsignedString(
                        header.systemIdentifier()) + ", but pg_control says " + Long.toUnsignedString(systemIdentifier));
            }
            if (header.segmentSize() != size.bytes()) {
                throw new IOException("segment '" + segment + "' header says " + header.segmentSize()
                        + "-byte segments, but the file is " + fileSize + " bytes");
            }
            return size;
        }
        throw new IOException("no segment in '" + pgWal + "' has a valid PostgreSQL " + major + " WAL header");
    }

    @Override
    public String toString() {
        return "system " + Long.toUnsignedString(systemIdentifier) + " (PostgreSQL " + pgMajor + ", " + segmentSize
                + " WAL segments)";
    }
}
