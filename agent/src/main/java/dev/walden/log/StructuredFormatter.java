package dev.walden.log;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.walden.config.Secrets;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.logging.Formatter;
import java.util.logging.Level;
import java.util.logging.LogRecord;

/**
 * One line per event, secrets taken out ({@link Secrets}): {@code text} is
 * {@code time=… level=INFO logger=agent.Agent msg="…" error="…"} (logfmt, which Loki, Vector and
 * {@code grep} all read), {@code json} one object per line with the same keys. A stack trace is
 * kept (in {@code stack}, newlines escaped) only at debug level, where someone asked for it.
 */
public final class StructuredFormatter extends Formatter {
    /**
     * Made at the first JSON line, not when logging is set up: a mapper costs ~0.1 s of a cold
     * start, which every command and the agent would pay for text lines.
     */
    private static final class Mapper {
        static final ObjectMapper JSON = new ObjectMapper();
    }

    public enum Style {
        TEXT, JSON
    }

    private final Style style;
    private final boolean stacks;

    public StructuredFormatter(Style style, boolean stacks) {
        this.style = style;
        this.stacks = stacks;
    }

    @Override
    public String format(LogRecord record) {
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("time", Instant.ofEpochMilli(record.getMillis()).toString());
        fields.put("level", level(record.getLevel()));
        fields.put("logger", shortName(record.getLoggerName()));
        fields.put("msg", Secrets.redact(formatMessage(record)));
        Throwable thrown = record.getThrown();
        if (thrown != null) {
            fields.put("error", Secrets.redact(thrown.toString()));
            if (stacks) {
                StringWriter trace = new StringWriter();
                thrown.printStackTrace(new PrintWriter(trace));
                fields.put("stack", Secrets.redact(trace.toString()));
            }
        }
        return (style == Style.JSON ? json(fields) : text(fields)) + System.lineSeparator();
    }

    private static String json(Map<String, String> fields) {
        try {
            return Mapper.JSON.writeValueAsString(fields);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a map of strings is always JSON", e);
        }
    }

    private static String text(Map<String, String> fields) {
        StringBuilder line = new StringBuilder();
        fields.forEach((key, value) -> {
            if (!line.isEmpty()) {
                line.append(' ');
            }
            line.append(key).append('=');
            if (key.equals("time") || key.equals("level") || key.equals("logger")) {
                line.append(value);
            } else {
                quote(value, line);
            }
        });
        return line.toString();
    }

    /** logfmt quoting: the value in double quotes, with quote, backslash and line breaks escaped. */
    private static void quote(String value, StringBuilder line) {
        line.append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"' -> line.append("\\\"");
                case '\\' -> line.append("\\\\");
                case '\n' -> line.append("\\n");
                case '\r' -> line.append("\\r");
                case '\t' -> line.append("\\t");
                case '\u0085', '\u2028', '\u2029' -> line.append(' '); // line breaks to some log tools
                default -> line.append(c < 0x20 ? ' ' : c);
            }
        }
        line.append('"');
    }

    /** Operators' words for JUL's levels. */
    static String level(Level level) {
        int v = level.intValue();
        if (v >= Level.SEVERE.intValue()) {
            return "ERROR";
        } else if (v >= Level.WARNING.intValue()) {
            return "WARN";
        } else if (v >= Level.INFO.intValue()) {
            return "INFO";
        }
        return "DEBUG";
    }

    /** {@code dev.walden.agent.Agent} → {@code agent.Agent}; other libraries keep their names. */
    private static String shortName(String logger) {
        if (logger == null) {
            return "-";
        }
        return logger.startsWith("dev.walden.") ? logger.substring("dev.walden.".length()) : logger;
    }
}
