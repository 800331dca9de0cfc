package dev.walden.wal;

import dev.walden.wal.WalFileException.Reason;
import java.nio.charset.StandardCharsets;

/**
 * The checks a file must pass before it is archived: its name must fit the cluster, a segment
 * must have the cluster's size and a first page that PostgreSQL of the cluster's major version
 * wrote for exactly this segment of exactly this system, and history files must parse and name at
 * least the parent timeline.
 * Each failure is a {@link WalFileException} whose message names the file and what is wrong.
 */
public final class WalFileCheck {
    /** Backup and timeline history files are a few hundred bytes; anything near this is not one. */
    public static final int MAX_TEXT_FILE_BYTES = 1024 * 1024;

    private WalFileCheck() {
    }

    /** Checks the file's size against its kind: segments and partial segments are whole segments. */
    public static void checkSize(WalFileName name, long size, ClusterIdentity cluster) throws WalFileException {
        if (name.holdsWal()) {
            checkSegmentNumber(name, cluster);
            if (size != cluster.segmentSize().bytes()) {
                throw new WalFileException(Reason.BAD_SIZE, "'" + name + "' is " + size + " bytes, but WAL segments"
                        + " of this cluster are " + cluster.segmentSize().bytes() + " bytes (truncated or foreign file)");
            }
        } else {
            if (name.kind() == WalFileName.Kind.BACKUP) {
                checkSegmentNumber(name, cluster);
            }
            if (size == 0 || size > MAX_TEXT_FILE_BYTES) {
                throw new WalFileException(Reason.BAD_SIZE, "'" + name + "' is " + size + " bytes; a "
                        + name.kind().name().toLowerCase() + " file is between 1 byte and 1 MiB");
            }
        }
    }

    private static void checkSegmentNumber(WalFileName name, ClusterIdentity cluster) throws WalFileException {
        try {
            name.segmentNumber(cluster.segmentSize());
        } catch (IllegalArgumentException e) {
            throw new WalFileException(Reason.BAD_NAME, e.getMessage());
        }
    }

    /**
     * Checks the long header on the first page of a segment or partial segment.
     *
     * @param head at least the first {@value WalPageHeader#LONG_HEADER_LENGTH} bytes of the file
     */
    public static void checkHeader(WalFileName name, byte[] head, ClusterIdentity cluster) throws WalFileException {
        WalPageHeader h = WalPageHeader.parse(head);
        int expectedMagic = cluster.walMagic();
        if (h.isZero()) {
            throw new WalFileException(Reason.BAD_HEADER, "'" + name + "' has no WAL page header: its first page is"
                    + " all zeros (a pre-allocated segment that was never written?)");
        }
        if (h.magic() != expectedMagic) {
            String other = PgVersion.majorForMagic(h.magic()).map(v -> " (WAL of PostgreSQL " + v + ")").orElse("");
            throw new WalFileException(Reason.BAD_HEADER, String.format("'%s' has page magic 0x%04X%s, but this "
                    + "cluster runs PostgreSQL %d (0x%04X)", name, h.magic(), other, cluster.pgMajor(), expectedMagic));
        }
        if ((h.info() & WalPageHeader.XLP_LONG_HEADER) == 0 || (h.info() & ~WalPageHeader.XLP_ALL_FLAGS) != 0) {
            throw new WalFileException(Reason.BAD_HEADER, String.format(
                    "'%s' has page flags 0x%04X; the first page of a segment has the long header flag (0x0002) and "
                    + "no flag outside 0x000F", name, h.info()));
        }
        if (h.systemIdentifier() != cluster.systemIdentifier()) {
            throw new WalFileException(Reason.FOREIGN_SYSTEM, "'" + name + "' belongs to database system "
                    + Long.toUnsignedString(h.systemIdentifier()) + ", but this repository holds system "
                    + Long.toUnsignedString(cluster.systemIdentifier())
                    + " (another cluster archiving here?)");
        }
        if (h.segmentSize() != cluster.segmentSize().bytes()) {
            throw new WalFileException(Reason.BAD_HEADER, "'" + name + "' header says " + h.segmentSize()
                    + "-byte segments, but this cluster uses " + cluster.segmentSize().bytes());
        }
        if (h.blockSize() < 1024 || h.blockSize() > 65536 || Long.bitCount(h.blockSize()) != 1) {
            throw new WalFileException(Reason.BAD_HEADER, "'" + name + "' header has an invalid WAL block size "
                    + h.blockSize());
        }
        Lsn expectedAddress = cluster.segmentSize().startOf(name.segmentNumber(cluster.segmentSize()));
        if (!h.pageAddress().equals(expectedAddress)) {
            throw new WalFileException(Reason.BAD_HEADER, "'" + name + "' starts with the page of " + h.pageAddress()
                    + ", but its name says " + expectedAddress + " (renamed or recycled file?)");
        }
        // A segment that starts a new timeline is copied from its parent, so its first page may
        // carry an older timeline; it can never carry a newer one.
        if (Integer.compareUnsigned(h.timeline(), name.timeline()) > 0 || h.timeline() == 0) {
            throw new WalFileException(Reason.BAD_HEADER, String.format(
                    "'%s' first page is on timeline %d, not on the file's timeline %d or an ancestor",
                    name, Integer.toUnsignedLong(h.timeline()), Integer.toUnsignedLong(name.timeline())));
        }
    }

    /** Checks the content of a timeline history or backup history file. */
    public static void checkText(WalFileName name, byte[] content) throws WalFileException {
        // Labels and restore-point names are in the database's encoding, not necessarily UTF-8;
        // ISO-8859-1 maps every byte, and only the ASCII structure is checked.
        String text = new String(content, StandardCharsets.ISO_8859_1);
        if (name.kind() == WalFileName.Kind.HISTORY) {
            try {
                TimelineHistory history = TimelineHistory.parse(text);
                if (history.entries().isEmpty()) {
                    // PostgreSQL writes one line per ancestor; a new timeline has at least its parent
                    throw new IllegalArgumentException("it has no entry (empty, or comments only); it must name at "
                            + "least the parent timeline and where timeline " + name.timeline() + " branched off it");
                }
                if (history.entries().get(history.entries().size() - 1).timeline() >= name.timeline()) {
                    throw new IllegalArgumentException("it names timeline "
                            + history.entries().get(history.entries().size() - 1).timeline() + " as an ancestor");
                }
            } catch (IllegalArgumentException e) {
                throw new WalFileException(Reason.BAD_HEADER, "'" + name + "' is not a valid timeline history: "
                        + e.getMessage());
            }
        } else if (name.kind() == WalFileName.Kind.BACKUP && !text.startsWith("START WAL LOCATION:")) {
            throw new WalFileException(Reason.BAD_HEADER, "'" + name
                    + "' is not a backup history file (it does not start with 'START WAL LOCATION:')");
        }
    }
}
