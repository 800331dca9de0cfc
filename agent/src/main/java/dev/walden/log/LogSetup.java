package dev.walden.log;

import dev.walden.config.Secrets;
import java.util.Locale;
import java.util.Map;
import java.util.logging.ConsoleHandler;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.Logger;

/**
 * Where walden's log lines go and how they look: stderr (journald or the service manager keeps
 * them), one line per event ({@link StructuredFormatter}), at a chosen level. Everything logs
 * through {@code java.util.logging}: walden's own {@code System.Logger}s, and Netty and cron-utils
 * through SLF4J's JDK binding, so one handler covers all of them.
 */
public final class LogSetup {
    private LogSetup() {
    }

    /**
     * Installs the format and level. Called at start from the environment ({@code WALDEN_LOG_FORMAT},
     * {@code WALDEN_LOG_LEVEL}) and again by the agent from its config ({@code log.format},
     * {@code log.level}).
     *
     * @throws IllegalArgumentException naming the accepted values
     */
    public static void apply(String format, String level) {
        StructuredFormatter.Style style = style(format);
        Level threshold = level(level);
        Logger root = LogManager.getLogManager().getLogger("");
        for (Handler h : root.getHandlers()) {
            root.removeHandler(h);
        }
        Handler handler = new ConsoleHandler(); // stderr
        handler.setFormatter(new StructuredFormatter(style, threshold.intValue() <= Level.FINE.intValue()));
        handler.setLevel(threshold);
        root.addHandler(handler);
        root.setLevel(threshold);
    }

    /**
     * The start-up setup, before anything logs: a log manager whose lines survive until the process
     * ends ({@link ShutdownSafeLogManager}), the environment's format and level, and the secrets it holds.
     */
    public static void fromEnvironment(Map<String, String> env) {
        // read by the JDK when logging is first used, which is just below; later calls change nothing
        System.setProperty("java.util.logging.manager", ShutdownSafeLogManager.class.getName());
        Secrets.registerEnvironment(env);
        try {
            apply(env.getOrDefault("WALDEN_LOG_FORMAT", "text"), env.getOrDefault("WALDEN_LOG_LEVEL", "info"));
        } catch (IllegalArgumentException e) {
            apply("text", "info");
            Logger.getLogger(LogSetup.class.getName()).warning(e.getMessage() + "; logging text at info");
        }
    }

    /** @throws IllegalArgumentException naming the accepted formats */
    public static StructuredFormatter.Style style(String format) {
        return switch (format.strip().toLowerCase(Locale.ROOT)) {
            case "text" -> StructuredFormatter.Style.TEXT;
            case "json" -> StructuredFormatter.Style.JSON;
            default -> throw new IllegalArgumentException("'" + format + "' is not a log format (text or json)");
        };
    }

    /** @throws IllegalArgumentException naming the accepted levels */
    public static Level level(String level) {
        return switch (level.strip().toLowerCase(Locale.ROOT)) {
            case "debug" -> Level.FINE;
            case "info" -> Level.INFO;
            case "warn", "warning" -> Level.WARNING;
            case "error" -> Level.SEVERE;
            default -> throw new IllegalArgumentException("'" + level + "' is not a log level (debug, info, warn or error)");
        };
    }
}
