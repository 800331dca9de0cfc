package dev.walden.agent.stream;

import dev.walden.wal.Lsn;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the WAL stream is doing, written by the streamer's thread and read by the metrics, the
 * health probe and STATUS. Lag is measured against the server's WAL position sampled once a
 * second: the lag in seconds is how long ago the server had last written nothing that is not yet
 * stored, so a quiet server streamed to its end has no lag, however old its last commit.
 */
public final class StreamState {
    /** Disconnected this long, the stream makes the agent unhealthy. */
    static final Duration UNHEALTHY_AFTER = Duration.ofSeconds(60);
    /** A slot invalidation is reported by /health this long after it happened. */
    static final Duration INVALIDATION_REPORTED_FOR = Duration.ofHours(1);
    private static final int MAX_SAMPLES = 600;

    private record Sample(long lsn, Instant at) {
    }

    private final Clock clock;
    private final String slot;
    private final ArrayDeque<Sample> samples = new ArrayDeque<>();
    private volatile boolean connected;
    private volatile Instant disconnectedSince;
    private volatile String problem = "not connected yet";
    private volatile long storedEnd = -1;
    private volatile Instant lastStored;
    private volatile long serverLsn = -1;
    private volatile Instant allStoredAt;
    private volatile String walStatus = "";
    private volatile long retainedBytes = -1;
    private volatile int timeline;
    private volatile Instant invalidatedAt;
    private volatile String invalidation;
    private final AtomicLong invalidations = new AtomicLong();
    private final AtomicLong mismatches = new AtomicLong();
    private final AtomicLong compared = new AtomicLong();
    private final AtomicLong storedBytes = new AtomicLong();

    public StreamState(String slot, Clock clock) {
        this.slot = slot;
        this.clock = clock;
        this.disconnectedSince = clock.instant();
        this.allStoredAt = clock.instant();
    }

    public String slot() {
        return slot;
    }

    void connected(int timeline) {
        this.timeline = timeline;
        connected = true;
        problem = "";
    }

    void disconnected(String why) {
        if (connected || disconnectedSince == null) {
            disconnectedSince = clock.instant();
        }
        connected = false;
        problem = why;
    }

    /** Everything before {@code end} is durable in the repository (streamed or archived). */
    void stored(long end) {
        storedEnd = end;
        lastStored = clock.instant();
        recompute();
    }

    /** Bytes the stream wrote to the repository. */
    void storedBytes(long bytes) {
        storedBytes.addAndGet(bytes);
    }

    /** The server's WAL position and its slot, as the probe found them. */
    void probed(long lsn, String walStatus, long retainedBytes) {
        this.walStatus = walStatus == null ? "" : walStatus;
        this.retainedBytes = retainedBytes;
        sampled(lsn);
    }

    private synchronized void sampled(long lsn) {
        serverLsn = Math.max(serverLsn, lsn);
        samples.addLast(new Sample(serverLsn, clock.instant()));
        while (samples.size() > MAX_SAMPLES) {
            samples.removeFirst();
        }
        recompute();
    }

    private synchronized void recompute() {
        // the newest moment at which everything the server had written is stored
        for (Sample s : samples) {
            if (s.lsn() <= storedEnd && s.at().isAfter(allStoredAt)) {
                allStoredAt = s.at();
            }
        }
        samples.removeIf(s -> s.lsn() <= storedEnd && s.at().isBefore(allStoredAt));
    }

    void invalidated(String detail) {
        invalidations.incrementAndGet();
        invalidatedAt = clock.instant();
        invalidation = detail;
    }

    void compared(boolean same) {
        compared.incrementAndGet();
        if (!same) {
            mismatches.incrementAndGet();
        }
    }

    public boolean isConnected() {
        return connected;
    }

    /** Bytes the server has written that are not stored yet; NaN before the first probe. */
    public double lagBytes() {
        if (serverLsn < 0 || storedEnd < 0) {
            return Double.NaN;
        }
        return Math.max(0, serverLsn - storedEnd);
    }

    /** Seconds since everything the server had written was last stored. */
    public double lagSeconds() {
        if (connected && serverLsn >= 0 && storedEnd >= serverLsn) {
            return 0;
        }
        return Math.max(0, Duration.between(allStoredAt, clock.instant()).toMillis() / 1000.0);
    }

    /** WAL the slot keeps on the server ({@code pg_current_wal_lsn() - restart_lsn}); NaN unknown. */
    public double retainedBytes() {
        return retainedBytes < 0 ? Double.NaN : retainedBytes;
    }

    public long invalidations() {
        return invalidations.get();
    }

    public long mismatches() {
        return mismatches.get();
    }

    public long storedBytes() {
        return storedBytes.get();
    }

    /** Why the stream makes the agent unhealthy, if it does: disconnected for longer than a minute. */
    public Optional<String> problem() {
        Instant since = disconnectedSince;
        if (!connected && since != null && Duration.between(since, clock.instant()).compareTo(UNHEALTHY_AFTER) > 0) {
            return Optional.of("WAL streaming (slot " + slot + ") is disconnected since " + since + ": " + problem);
        }
        return Optional.empty();
    }

    /** A recent slot invalidation, which /health reports while it stays healthy. */
    public Optional<String> warning() {
        Instant at = invalidatedAt;
        if (at != null && Duration.between(at, clock.instant()).compareTo(INVALIDATION_REPORTED_FOR) < 0) {
            return Optional.of("replication slot " + slot + " was invalidated by PostgreSQL at " + at + " (" + invalidation
                    + "); the agent re-created it, and WAL between was covered by archive_command only");
        }
        return Optional.empty();
    }

    /** What STATUS reports. */
    public Map<String, String> status() {
        Map<String, String> values = new LinkedHashMap<>();
        values.put("stream", connected ? "streaming" : "disconnected");
        values.put("stream_slot", slot);
        if (!connected) {
            values.put("stream_problem", problem);
        }
        if (timeline > 0) {
            values.put("stream_timeline", Integer.toString(timeline));
        }
        if (storedEnd >= 0) {
            values.put("stream_stored_lsn", new Lsn(storedEnd).toString());
            values.put("stream_last_stored", String.valueOf(lastStored));
        }
        if (serverLsn >= 0) {
            values.put("stream_server_lsn", new Lsn(serverLsn).toString());
        }
        values.put("stream_lag_seconds", String.format(java.util.Locale.ROOT, "%.1f", lagSeconds()));
        values.put("stream_slot_wal_status", walStatus);
        if (retainedBytes >= 0) {
            values.put("stream_slot_retained_bytes", Long.toString(retainedBytes));
        }
        values.put("stream_slot_invalidations", Long.toString(invalidations.get()));
        values.put("stream_stored_bytes", Long.toString(storedBytes.get()));
        values.put("stream_compared_segments", Long.toString(compared.get()));
        values.put("stream_mismatched_segments", Long.toString(mismatches.get()));
        return values;
    }
}
