package dev.walden.wal;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The name of a file PostgreSQL archives, parsed and formatted in this one place:
 * <ul>
 *   <li>segment {@code TTTTTTTTLLLLLLLLSSSSSSSS} (timeline, log, segment, 8 hex digits each);
 *   <li>partial segment {@code <segment>.partial}, the last segment of a timeline that ended
 *       mid-segment;
 *   <li>backup history {@code <segment>.OOOOOOOO.backup} (offset of the backup start);
 *   <li>timeline history {@code TTTTTTTT.history}.
 * </ul>
 * Hex digits are upper case, as PostgreSQL writes them; anything else is not a WAL file name.
 */
public record WalFileName(Kind kind, int timeline, long log, long segment, long backupOffset) {
    public enum Kind { SEGMENT, PARTIAL, BACKUP, HISTORY }

    private static final String HEX8 = "([0-9A-F]{8})";
    private static final Pattern SEGMENT = Pattern.compile(HEX8 + HEX8 + HEX8);
    private static final Pattern PARTIAL = Pattern.compile(HEX8 + HEX8 + HEX8 + "\\.partial");
    private static final Pattern BACKUP = Pattern.compile(HEX8 + HEX8 + HEX8 + "\\." + HEX8 + "\\.backup");
    private static final Pattern HISTORY = Pattern.compile(HEX8 + "\\.history");

    public WalFileName {
        if (timeline == 0) {
            throw new IllegalArgumentException("timeline 0 does not exist");
        }
    }

    /**
     * Parses a file name (no directory part).
     *
     * @throws IllegalArgumentException naming the file when it is none of the four kinds
     */
    public static WalFileName parse(String name) {
        Matcher m;
        if ((m = SEGMENT.matcher(name)).matches()) {
            return of(Kind.SEGMENT, m, 0);
        } else if ((m = PARTIAL.matcher(name)).matches()) {
            return of(Kind.PARTIAL, m, 0);
        } else if ((m = BACKUP.matcher(name)).matches()) {
            return of(Kind.BACKUP, m, Long.parseLong(m.group(4), 16));
        } else if ((m = HISTORY.matcher(name)).matches()) {
            int tli = (int) Long.parseLong(m.group(1), 16);
            if (tli == 0) {
                throw new IllegalArgumentException("'" + name + "' names timeline 0, which does not exist");
            }
            return history(tli);
        }
        throw new IllegalArgumentException("'" + printable(name) + "' is not a WAL file name "
                + "(expected a segment, .partial, .backup or .history name)");
    }

    private static WalFileName of(Kind kind, Matcher m, long offset) {
        int tli = (int) Long.parseLong(m.group(1), 16);
        if (tli == 0) {
            throw new IllegalArgumentException("'" + m.group() + "' names timeline 0, which does not exist");
        }
        return new WalFileName(kind, tli, Long.parseLong(m.group(2), 16), Long.parseLong(m.group(3), 16), offset);
    }

    public static WalFileName segment(int timeline, long segmentNumber, WalSegmentSize size) {
        long perId = size.segmentsPerXLogId();
        return new WalFileName(Kind.SEGMENT, timeline, segmentNumber / perId, segmentNumber % perId, 0);
    }

    public static WalFileName history(int timeline) {
        return new WalFileName(Kind.HISTORY, timeline, 0, 0, 0);
    }

    /** Whether the file holds WAL pages (a segment or a partial segment). */
    public boolean holdsWal() {
        return kind == Kind.SEGMENT || kind == Kind.PARTIAL;
    }

    /**
     * The segment number (XLogFromFileName). Only meaningful for names that carry a segment.
     *
     * @throws IllegalArgumentException if the segment part is out of range for this segment size,
     *     e.g. {@code ...00000100} with 16 MiB segments, which PostgreSQL never writes
     */
    public long segmentNumber(WalSegmentSize size) {
        if (kind == Kind.HISTORY) {
            throw new IllegalStateException(this + " is a history file and has no segment number");
        }
        if (segment >= size.segmentsPerXLogId()) {
            throw new IllegalArgumentException("'" + this + "' has segment part " + String.format("%08X", segment)
                    + ", out of range for " + size + " segments");
        }
        return log * size.segmentsPerXLogId() + segment;
    }

    /** The 24-digit segment name this file belongs to. */
    public String segmentName() {
        if (kind == Kind.HISTORY) {
            throw new IllegalStateException(this + " is a history file and has no segment");
        }
        return String.format("%08X%08X%08X", timeline, log, segment);
    }

    @Override
    public String toString() {
        return switch (kind) {
            case SEGMENT -> segmentName();
            case PARTIAL -> segmentName() + ".partial";
            case BACKUP -> segmentName() + String.format(".%08X.backup", backupOffset);
            case HISTORY -> String.format("%08X.history", timeline);
        };
    }

    // A hostile name may carry control characters; keep error messages on one line.
    private static String printable(String name) {
        StringBuilder sb = new StringBuilder();
        for (char c : name.toCharArray()) {
            sb.append(Character.isISOControl(c) ? '?' : c);
            if (sb.length() > 80) {
                return sb + "...";
            }
        }
        return sb.toString();
    }
}
