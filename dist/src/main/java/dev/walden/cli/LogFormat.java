package dev.walden.cli;

/** One line per log record on stderr: time, level, message, as an operator reads it. */
final class LogFormat {
    private LogFormat() {
    }

    static void install() {
        if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
            System.setProperty("java.util.logging.SimpleFormatter.format", "%1$tF %1$tT.%1$tL %4$s %5$s%6$s%n");
        }
    }
}
