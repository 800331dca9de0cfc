package dev.walden.console;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Progress of one long phase (copying files, restoring tables, re-reading objects): a bar with
 * bytes, rate and ETA redrawn in place on a terminal, a plain line every {@link #LINE_EVERY}
 * otherwise ({@link Terminal}). It counts items and bytes; a total of 0 means unknown: with no
 * known total it shows what was done and the rate, without a bar or ETA. With a total of items,
 * the last item ends the phase at 100 %, whatever the bytes came to. Safe to feed from
 * several threads; printing is serialised.
 */
public final class ProgressBar {
    /** Between plain lines: a one-hour restore writes 360 lines to its log, not 360,000. */
    static final Duration LINE_EVERY = Duration.ofSeconds(10);
    /** Between redraws on a terminal: often enough to look live, rarely enough to cost nothing. */
    static final Duration REDRAW_EVERY = Duration.ofMillis(250);
    private static final int WIDTH = 20;

    private final PrintWriter out;
    private final String what;
    private final String unit;
    private final long totalItems;
    private final long totalBytes;
    private final Terminal mode;
    private final LongSupplier nanos;
    private final long started;
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicLong items = new AtomicLong();
    private long lastPrinted;
    private int lastLength;
    private boolean finished;

    /**
     * @param totalItems how many {@code unit}s (files, tables) there are, 0 to leave items out
     * @param totalBytes how many bytes there are, 0 when unknown
     */
    public ProgressBar(PrintWriter out, String what, long totalItems, String unit, long totalBytes) {
        this(out, what, totalItems, unit, totalBytes, Terminal.detect(), System::nanoTime);
    }

    ProgressBar(PrintWriter out, String what, long totalItems, String unit, long totalBytes, Terminal mode,
                LongSupplier nanos) {
        this.out = out;
        this.what = what;
        this.totalItems = totalItems;
        this.unit = unit;
        this.totalBytes = totalBytes;
        this.mode = mode;
        this.nanos = nanos;
        this.started = nanos.getAsLong();
        // a phase shorter than one interval prints only its final line
        this.lastPrinted = started;
    }

    /** One more item done, of {@code addBytes} bytes. */
    public void advance(long addBytes) {
        add(addBytes, 1);
    }

    public void add(long addBytes, int addItems) {
        show(bytes.addAndGet(addBytes), items.addAndGet(addItems));
    }

    /** The number of bytes done so far, for a source that reports totals (the agent's meter frames). */
    public void set(long bytesDone, long itemsDone) {
        bytes.set(bytesDone);
        items.set(itemsDone);
        show(bytesDone, itemsDone);
    }

    /** The phase is over: prints the final line (with the time taken) unless it already did. */
    public void finish() {
        print(bytes.get(), items.get(), true);
    }

    private void show(long b, long i) {
        print(b, i, totalItems > 0 ? allItems(i) : totalBytes > 0 && b >= totalBytes);
    }

    /**
     * Whether the last item is done, which ends a phase that counts items: items that held fewer
     * bytes than expected (a file that shrank while copied, an object that could not be read back)
     * must not leave the bar short of its end.
     */
    private boolean allItems(long i) {
        return totalItems > 0 && i >= totalItems;
    }

    private synchronized void print(long b, long i, boolean done) {
        if (finished || mode == Terminal.OFF) {
            return;
        }
        long now = nanos.getAsLong();
        Duration every = mode == Terminal.BAR ? REDRAW_EVERY : LINE_EVERY;
        if (!done && now - lastPrinted < every.toNanos()) {
            return;
        }
        finished = done;
        lastPrinted = now;
        String line = line(b, i, done, Duration.ofNanos(now - started));
        if (mode == Terminal.BAR) {
            // pad so a shorter line fully covers the previous one
            out.print("\r" + line + " ".repeat(Math.max(0, lastLength - line.length())) + (done ? "\n" : ""));
            lastLength = line.length();
        } else {
            out.println(line);
        }
        out.flush();
    }

    String line(long b, long i, boolean done, Duration elapsed) {
        StringBuilder line = new StringBuilder(what);
        long percent = -1;
        if (allItems(i)) {
            percent = 100;
        } else if (totalBytes > 0) {
            percent = Math.min(100, b * 100 / totalBytes);
        } else if (totalItems > 0) {
            percent = Math.min(100, i * 100 / totalItems);
        }
        if (percent >= 0) {
            int filled = (int) (percent * WIDTH / 100);
            line.append(" [").append("#".repeat(filled)).append(".".repeat(WIDTH - filled)).append("] ")
                    .append(String.format("%3d%%", percent));
        } else {
            line.append(':');
        }
        String sep = "  ";
        if (totalItems > 0) {
            line.append(sep).append(i).append('/').append(totalItems).append(' ').append(unit);
            sep = ", ";
        } else if (i > 0 && !unit.isEmpty()) {
            line.append(sep).append(i).append(' ').append(unit);
            sep = ", ";
        }
        if (totalBytes > 0) {
            line.append(sep).append(Sizes.bytes(b)).append(" of ").append(Sizes.bytes(totalBytes));
            sep = ", ";
        } else if (b > 0) {
            line.append(sep).append(Sizes.bytes(b));
            sep = ", ";
        }
        double seconds = elapsed.toNanos() / 1e9;
        double rate = seconds > 0 ? b / seconds : 0;
        if (done) {
            line.append(" in ").append(Sizes.clock(elapsed));
            if (b > 0 && seconds >= 1) {
                line.append(" (").append(Sizes.rate(rate)).append(')');
            }
        } else if (b > 0 && seconds > 0) {
            line.append(sep).append(Sizes.rate(rate));
            if (totalBytes > 0 && rate > 0 && b < totalBytes) { // files that grew while copied: no ETA of 0:00
                line.append(", ETA ").append(Sizes.clock(Duration.ofSeconds((long) Math.ceil((totalBytes - b) / rate))));
            }
        }
        return line.toString();
    }
}
