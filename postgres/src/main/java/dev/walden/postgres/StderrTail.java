package dev.walden.postgres;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * Drains a child program's stderr in the background, so it can never block on a full pipe,
 * keeping the last lines for the one-line error walden prints when the program fails.
 */
public final class StderrTail {
    private static final int KEEP = 32;

    private final Deque<String> lines = new ArrayDeque<>();
    private final Thread thread;

    public StderrTail(InputStream in) {
        this(in, line -> { });
    }

    /** Also hands every line to {@code listener} as it arrives (progress from a verbose program). */
    public StderrTail(InputStream in, Consumer<String> listener) {
        thread = Thread.ofPlatform().daemon().name("walden-stderr").start(() -> {
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                String line;
                while ((line = reader.readLine()) != null) {
                    listener.accept(line);
                    synchronized (lines) {
                        lines.addLast(line);
                        if (lines.size() > KEEP) {
                            lines.removeFirst();
                        }
                    }
                }
            } catch (IOException ignored) {
                // the program ended
            }
        });
    }

    /**
     * The line that says what went wrong: the last one naming an error (PostgreSQL's programs
     * follow it with context such as "Command was: …"), else the last line.
     */
    public String message() {
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (lines) {
            String last = null;
            String error = null;
            for (String line : lines) {
                if (line.isBlank()) {
                    continue;
                }
                last = line.strip();
                String lower = last.toLowerCase(Locale.ROOT);
                if (lower.contains("error") || lower.contains("fatal")) {
                    error = last;
                }
            }
            return error != null ? error : last != null ? last : "(no message)";
        }
    }
}
