package dev.walden.console;

import java.time.Duration;
import java.util.Locale;

/** Sizes, rates and durations as the commands print them: {@code 1.4 GiB}, {@code 85.3 MiB/s}, {@code 1:05:09}. */
public final class Sizes {
    private static final String[] UNITS = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};

    private Sizes() {
    }

    /** Binary units, one decimal from KiB up: {@code 512 B}, {@code 16.0 MiB}, {@code 1.4 GiB}. */
    public static String bytes(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        int unit = 0;
        double value = bytes;
        while (value >= 1024 && unit < UNITS.length - 1) {
            value /= 1024;
            unit++;
        }
        // 1023.96 KiB would round to "1024.0 KiB": print it as the next unit instead
        if (value >= 1023.95 && unit < UNITS.length - 1) {
            value /= 1024;
            unit++;
        }
        return String.format(Locale.ROOT, "%.1f %s", value, UNITS[unit]);
    }

    /** A rate in bytes per second, e.g. {@code 85.3 MiB/s}. */
    public static String rate(double bytesPerSecond) {
        return bytes(Math.round(bytesPerSecond)) + "/s";
    }

    /** {@code 0:07}, {@code 12:30}, {@code 1:05:09}: minutes and seconds, hours when there are any. */
    public static String clock(Duration duration) {
        long seconds = Math.max(0, duration.toSeconds());
        long h = seconds / 3600;
        long m = seconds / 60 % 60;
        long s = seconds % 60;
        return h > 0 ? String.format(Locale.ROOT, "%d:%02d:%02d", h, m, s) : String.format(Locale.ROOT, "%d:%02d", m, s);
    }
}
