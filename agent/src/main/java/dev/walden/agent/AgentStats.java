package dev.walden.agent;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Counters the agent keeps about itself, reported by STATUS and by the HTTP endpoint.
 * Updated by workers, read by the event loop; each value is individually consistent.
 */
public final class AgentStats {
    private final Instant started;
    private final AtomicLong archived = new AtomicLong();
    private final AtomicLong alreadyArchived = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong originalBytes = new AtomicLong();
    private final AtomicLong storedBytes = new AtomicLong();
    private final AtomicReference<String> lastArchived = new AtomicReference<>("");
    private final AtomicReference<Instant> lastArchivedAt = new AtomicReference<>();
    private final AtomicReference<String> lastFailure = new AtomicReference<>("");
    private final AtomicReference<Instant> lastFailureAt = new AtomicReference<>();

    public AgentStats(Instant started) {
        this.started = started;
    }

    void record(ArchiveResult result, Instant at) {
        switch (result) {
            case ArchiveResult.Stored s -> {
                (s.alreadyArchived() ? alreadyArchived : archived).incrementAndGet();
                if (!s.alreadyArchived()) {
                    originalBytes.addAndGet(s.originalBytes());
                    storedBytes.addAndGet(s.object().storedSize());
                }
                lastArchived.set(s.object().name().toString());
                lastArchivedAt.set(at);
            }
            case ArchiveResult.Failed f -> {
                failed.incrementAndGet();
                lastFailure.set(f.message());
                lastFailureAt.set(at);
            }
        }
    }

    public long archived() {
        return archived.get();
    }

    public long alreadyArchived() {
        return alreadyArchived.get();
    }

    public long failed() {
        return failed.get();
    }

    public long originalBytes() {
        return originalBytes.get();
    }

    public long storedBytes() {
        return storedBytes.get();
    }

    /** When the last file was archived, if one was. */
    public java.util.Optional<Instant> lastArchivedAt() {
        return java.util.Optional.ofNullable(lastArchivedAt.get());
    }

    /** The last failure and when it happened, if one did. */
    public java.util.Optional<Map.Entry<Instant, String>> lastFailure() {
        Instant at = lastFailureAt.get();
        return at == null ? java.util.Optional.empty() : java.util.Optional.of(Map.entry(at, lastFailure.get()));
    }

    /** A snapshot for STATUS, with the queue figures the caller adds. */
    public Map<String, String> snapshot() {
        Map<String, String> values = new LinkedHashMap<>();
        values.put("started_at", started.toString());
        values.put("archived_count", Long.toString(archived.get()));
        values.put("already_archived_count", Long.toString(alreadyArchived.get()));
        values.put("failed_count", Long.toString(failed.get()));
        values.put("archived_bytes", Long.toString(originalBytes.get()));
        values.put("stored_bytes", Long.toString(storedBytes.get()));
        values.put("last_archived_wal", lastArchived.get());
        values.put("last_archived_time", String.valueOf(lastArchivedAt.get() == null ? "" : lastArchivedAt.get()));
        values.put("last_failure", lastFailure.get());
        values.put("last_failure_time", String.valueOf(lastFailureAt.get() == null ? "" : lastFailureAt.get()));
        return values;
    }
}
