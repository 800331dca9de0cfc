package dev.walden.agent.server;

import dev.walden.config.ConfigKeys;
import dev.walden.config.Durations;
import dev.walden.protocol.ErrorCode;
import dev.walden.protocol.ErrorReply;
import dev.walden.protocol.Frame;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * {@code agent.max_connections}: how many connections the agent serves at a time. One more is
 * answered with one ERROR frame ({@code too_many_connections}) and closed, so that a process that
 * opens connections and keeps them can't use up the agent's file descriptors, which archiving,
 * look-ahead, repository scans, the HTTP endpoint and base backups need.
 *
 * <p>A flood of connections must not flood the log as well: the first refusal is logged at once,
 * later ones at most once a minute, counted.
 */
final class ConnectionLimit {
    static final Duration LOG_EVERY = Duration.ofMinutes(1);

    private final int max;
    private final Frame refusal;
    private final LongSupplier nanoTime;
    private final AtomicInteger open = new AtomicInteger();
    // guarded by this
    private boolean loggedOnce;
    private long loggedAt;
    private long unlogged;

    ConnectionLimit(int max, Path socket, LongSupplier nanoTime) {
        this.max = max;
        this.nanoTime = nanoTime;
        this.refusal = new ErrorReply(ErrorCode.TOO_MANY_CONNECTIONS, "the agent already serves " + max
                + " connections, the most " + ConfigKeys.AGENT_MAX_CONNECTIONS.name() + " allows; find what holds "
                + "them with: ss -xp | grep '" + socket + "'").toFrame();
    }

    /** Counts a new connection in, unless that would be one too many; {@link #closed()} counts it out. */
    boolean tryOpen() {
        if (open.incrementAndGet() > max) {
            open.decrementAndGet();
            return false;
        }
        return true;
    }

    void closed() {
        open.decrementAndGet();
    }

    int open() {
        return open.get();
    }

    /** What a refused connection is told before it is closed. */
    Frame refusal() {
        return refusal;
    }

    /** Counts one refused connection; returns the line to log now, if one is due. */
    synchronized Optional<String> refused() {
        unlogged++;
        long now = nanoTime.getAsLong();
        if (loggedOnce && now - loggedAt < LOG_EVERY.toNanos()) {
            return Optional.empty();
        }
        String what = loggedOnce
                ? "refused " + unlogged + " connection(s) in the last "
                + Durations.format(Duration.ofSeconds(TimeUnit.NANOSECONDS.toSeconds(now - loggedAt)))
                : "refused a connection";
        loggedOnce = true;
        loggedAt = now;
        unlogged = 0;
        return Optional.of(what + ": " + max + " are open, the most " + ConfigKeys.AGENT_MAX_CONNECTIONS.name()
                + " allows (refusals are logged at most once a minute)");
    }
}
