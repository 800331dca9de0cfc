package dev.walden.recovery;

import java.io.PrintWriter;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A progress bar for long phases: redrawn in place on a terminal, a line every few seconds
 * otherwise (a log file must not fill with carriage returns).
 */
final class ProgressLine {
    private static final long INTERVAL_NANOS = 3_000_000_000L;

    private final PrintWriter out;
    private final String what;
    private final long totalBytes;
    private final int totalItems;
    private final boolean terminal = System.console() != null;
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicLong items = new AtomicLong();
    private volatile long lastPrinted;

    ProgressLine(PrintWriter out, String what, int totalItems, long totalBytes) {
        this.out = out;
        this.what = what;
        this.totalItems = totalItems;
        this.totalBytes = totalBytes;
    }

    void advance(long addBytes) {
        long b = bytes.addAndGet(addBytes);
        long i = items.incrementAndGet();
        long now = System.nanoTime();
        if (terminal || now - lastPrinted > INTERVAL_NANOS || i == totalItems) {
            synchronized (this) {
                if (!terminal && i != totalItems && now - lastPrinted <= INTERVAL_NANOS) {
                    return;
                }
                lastPrinted = now;
                int percent = totalBytes == 0 ? 100 : (int) (b * 100 / totalBytes);
                String bar = "#".repeat(percent / 5) + ".".repeat(20 - percent / 5);
                String line = String.format("%s [%s] %3d%%  %d/%d files, %.1f/%.1f MiB", what, bar, percent, i,
                        totalItems, b / 1048576.0, totalBytes / 1048576.0);
                if (terminal) {
                    out.print("\r" + line + (i == totalItems ? "\n" : ""));
                } else {
                    out.println(line);
                }
                out.flush();
            }
        }
    }
}
