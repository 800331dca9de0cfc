package dev.walden.wal;

import java.util.ArrayList;
import java.util.List;

/**
 * A timeline history file ({@code NNNNNNNN.history}): one line per ancestor timeline,
 * {@code <parent tli> <switch LSN> <reason>} separated by tabs; {@code #} starts a comment.
 * Parsed in this one place.
 */
public record TimelineHistory(List<Entry> entries) {
    /** The parent timeline and the location where the child branched off it. */
    public record Entry(int timeline, Lsn switchPoint, String reason) {
    }

    public TimelineHistory {
        entries = List.copyOf(entries);
    }

    /**
     * Parses history file content.
     *
     * @throws IllegalArgumentException naming the line that is malformed
     */
    public static TimelineHistory parse(String text) {
        List<Entry> entries = new ArrayList<>();
        String[] lines = text.split("\n", -1);
        int previous = 0;
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] fields = line.split("\\s+", 3);
            if (fields.length < 2) {
                throw new IllegalArgumentException("line " + (i + 1) + ": expected '<timeline> <LSN> <reason>'");
            }
            int tli;
            Lsn lsn;
            try {
                tli = Integer.parseInt(fields[0]);
                lsn = Lsn.parse(fields[1]);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("line " + (i + 1) + ": expected '<timeline> <LSN> <reason>', got '"
                        + line + "'");
            }
            if (tli <= previous) {
                throw new IllegalArgumentException("line " + (i + 1) + ": timeline " + tli
                        + " does not increase on " + previous);
            }
            previous = tli;
            entries.add(new Entry(tli, lsn, fields.length > 2 ? fields[2] : ""));
        }
        return new TimelineHistory(entries);
    }
}
