package dev.walden.repo;

import dev.walden.wal.Lsn;
import dev.walden.wal.WalFileName;
import dev.walden.wal.WalSegmentSize;
import java.time.Instant;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One segment as the agent's WAL stream stored it: the first {@code length} bytes of the
 * segment, received over replication. The object key is formatted and parsed here and nowhere
 * else:
 *
 * <pre>
 * stream/&lt;timeline+log&gt;/&lt;segment&gt;-&lt;length, 8 hex&gt;-&lt;content name&gt;.partial[.&lt;ext&gt;]
 * </pre>
 *
 * e.g. {@code stream/0000000100000000/000000010000000000000003-00a3c000-9f86…08.partial.zst}.
 * Streamed objects live apart from {@code wal/} on purpose: archived WAL is named by its
 * content and never overwritten, while a streamed segment is stored again and again as it grows;
 * and nothing that reads {@code wal/} (fetch, verify's WAL checks, expiry's WAL rules) can take a
 * streamed prefix for a complete segment. A {@code .partial} here is not PostgreSQL's own
 * {@code .partial} (the last segment of a timeline, archived at promotion), which lives in
 * {@code wal/} like any archived file.
 *
 * @param stored when the object was stored (the storage's modification time)
 */
public record StreamedWal(WalFileName segment, int length, String key, String contentName, Compression compression,
                          long storedSize, Instant stored) {
    public static final String ROOT = "stream/";
    private static final Pattern OBJECT_NAME = Pattern.compile(
            "([0-9A-F]{24})-([0-9a-f]{8})-([0-9a-f]{64})\\.partial(?:\\.([a-z0-9]+))?");

    public StreamedWal {
        if (segment.kind() != WalFileName.Kind.SEGMENT) {
            throw new IllegalArgumentException("a streamed object holds a segment, not " + segment);
        }
        if (length <= 0) {
            throw new IllegalArgumentException("a streamed object holds at least one byte, not " + length);
        }
    }

    /** The key for the first {@code length} bytes of {@code segment} with this content name. */
    public static String keyFor(WalFileName segment, int length, String contentName, Compression compression) {
        String ext = compression.extension().isEmpty() ? "" : "." + compression.extension();
        return prefixFor(segment) + String.format("%08x", length) + "-" + contentName + ".partial" + ext;
    }

    /** The listing prefix that finds every streamed object of {@code segment}. */
    public static String prefixFor(WalFileName segment) {
        return ROOT + segment.segmentName().substring(0, 16) + "/" + segment.segmentName() + "-";
    }

    /** Parses a key back into what it stores; empty if the key is not a streamed object. */
    public static Optional<StreamedWal> parse(String key, long storedSize, Instant stored) {
        if (!key.startsWith(ROOT)) {
            return Optional.empty();
        }
        Matcher m = OBJECT_NAME.matcher(key.substring(key.lastIndexOf('/') + 1));
        if (!m.matches()) {
            return Optional.empty();
        }
        WalFileName segment;
        try {
            segment = WalFileName.parse(m.group(1));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        long length = Long.parseLong(m.group(2), 16);
        Optional<Compression> compression = Compression.fromExtension(m.group(4) == null ? "" : m.group(4));
        if (length <= 0 || length > Integer.MAX_VALUE || compression.isEmpty()
                || !key.equals(keyFor(segment, (int) length, m.group(3), compression.get()))) {
            return Optional.empty();
        }
        return Optional.of(new StreamedWal(segment, (int) length, key, m.group(3), compression.get(), storedSize,
                stored));
    }

    /** The position just past the last streamed byte. */
    public Lsn end(WalSegmentSize size) {
        return new Lsn(size.startOf(segment.segmentNumber(size)).value() + length);
    }

    /** Whether it holds the whole segment. */
    public boolean complete(WalSegmentSize size) {
        return length == size.bytes();
    }
}
