package dev.walden.recovery;

import java.io.PrintWriter;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A progress bar for long phases: redrawn in place on a terminal, a line every few seconds
 * otherwise (a log file must not fill with carriage returns). It counts items (files, tables)
 * and bytes; a total of 0 leaves that measure out (both 0: nothing to show, nothing printed),
 * and the percentage follows bytes when known.
 */
public final class ProgressLine {
    private static final long INTERVAL_NANOS = 3_000_000_000L;

    private final PrintWriter out;
    private final String what;
    private final String unit;
    private final long totalBytes;
    private final long totalItems;
    private final boolean terminal = System.console() != null;
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicLong items = new AtomicLong();
    /** Starts now: a phase shorter than the interval prints only its final line. */
    private volatile long lastPrinted = System.nanoTime();
    private boolean finished;

    public ProgressLine(PrintWriter out, String what, long totalItems, String unit, long totalBytes) {
        this.out = out;
        this.what = what;
        this.totalItems = totalItems;
        this.unit = unit;
        this.totalBytes = totalBytes;
    }

    ProgressLine(PrintWriter out, String what, int totalFiles, long totalBytes) {
        this(out, what, totalFiles, "files", totalBytes);
    }

    /** One more item done, of {@code addBytes}. */
    public void advance(long addBytes) {
        add(addBytes, 1);
    }

    public void add(long addBytes, int addItems) {
        if (totalBytes == 0 && totalItems == 0) {
            return;
        }
        long b = bytes.addAndGet(addBytes);
        long i = items.addAndGet(addItems);
        boolean done = totalBytes > 0 ? b >= totalBytes && (totalItems == 0 || i >= totalItems) : i >= totalItems;
        long now = System.nanoTime();
        if (terminal || done || now - lastPrinted > INTERVAL_NANOS) {
            synchronized (this) {
                if (finished || (!terminal && !done && now - lastPrinted <= INTERVAL_NANOS)) {
                    return;
                }
                finished = done;
                lastPrinted = now;
                print(b, i, done);
            }
        }
    }

    private void print(long b, long i, boolean done) {
        long percent = totalBytes > 0 ? b * 100 / totalBytes : totalItems > 0 ? i * 100 / totalItems : 100;
        percent = Math.min(100, percent);
        String bar = "#".repeat((int) percent / 5) + ".".repeat(20 - (int) percent / 5);
        StringBuilder line = new StringBuilder(String.format("%s [%s] %3d%%", what, bar, percent));
        if (totalItems > 0) {
            line.append(String.format("  %d/%d %s", i, totalItems, unit));
        }
        if (totalBytes > 0) {
            line.append(String.format("%s%.1f/%.1f MiB", totalItems > 0 ? ", " : "  ", b / 1048576.0,
                    totalBytes / 1048576.0));
        }
        if (terminal) {
            out.print("\r" + line + (done ? "\n" : ""));
        } else {
            out.println(line);
        }
        out.flush();
    }
}
