package dev.walden.agent.archive;

import dev.walden.protocol.ErrorCode;
import java.time.Instant;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Counters the agent keeps about itself, reported by STATUS and read by the HTTP endpoint's
 * metrics (which keep no second count of them). Updated by workers and timers, read by the event
 * loop; each value is individually consistent.
 *
 * <p>Files are counted once per file archived; failures once per PUSH answered with an error
 * (a timed-out request, a full queue and a refused file alike), by reason.
 */
public final class AgentStats {
    private final Instant started;
    private final AtomicLong archived = new AtomicLong();
    private final AtomicLong alreadyArchived = new AtomicLong();
    private final EnumMap<ErrorCode, AtomicLong> failures = new EnumMap<>(ErrorCode.class);
    private final AtomicLong originalBytes = new AtomicLong();
    private final AtomicLong storedBytes = new AtomicLong();
    private final AtomicReference<String> lastArchived = new AtomicReference<>("");
    private final AtomicReference<Instant> lastArchivedAt = new AtomicReference<>();
    /** The last PUSH answered OK: with look-ahead, files are stored without anyone asking, so health looks here. */
    private final AtomicReference<Instant> lastAnsweredOk = new AtomicReference<>();
    private final AtomicReference<String> lastFailure = new AtomicReference<>("");
    private final AtomicReference<Instant> lastFailureAt = new AtomicReference<>();

    private final AtomicReference<ErrorCode> lastFailureCode = new AtomicReference<>();

    public AgentStats(Instant started) {
        this.started = started;
        for (ErrorCode code : ErrorCode.values()) {
            failures.put(code, new AtomicLong()); // filled once: reads need no lock
        }
    }

    /** A file is durably in the repository (newly, or it was already there). */
    public void stored(ArchiveResult.Stored s, Instant at) {
        (s.alreadyArchived() ? alreadyArchived : archived).incrementAndGet();
        if (!s.alreadyArchived()) {
            originalBytes.addAndGet(s.originalBytes());
            storedBytes.addAndGet(s.object().storedSize());
        }
        lastArchived.set(s.object().name().toString());
        lastArchivedAt.set(at);
    }

    /** A PUSH was answered with this error. */
    public void answeredOk(Instant at) {
        lastAnsweredOk.set(at);
    }

    /** When a PUSH was last answered OK, if one was. */
    public java.util.Optional<Instant> lastAnsweredOk() {
        return java.util.Optional.ofNullable(lastAnsweredOk.get());
    }

    public void answeredWith(ArchiveResult.Failed f, Instant at) {
        failures.get(f.code()).incrementAndGet();
        failedAt(f, at);
    }

    /**
     * Archiving a file failed after every request for it had been answered (they timed out): not
     * an answer to count, but the newest failure all the same.
     */
    public void failedAt(ArchiveResult.Failed f, Instant at) {
        lastFailure.set(f.message());
        lastFailureCode.set(f.code());
        lastFailureAt.set(at);
    }

    public long archived() {
        return archived.get();
    }

    public long alreadyArchived() {
        return alreadyArchived.get();
    }

    /** PUSH requests answered with an error, whatever the reason. */
    public long failed() {
        return failures.values().stream().mapToLong(AtomicLong::get).sum();
    }

    /** PUSH requests answered with {@code code}. */
    public long failed(ErrorCode code) {
        return failures.get(code).get();
    }

    public long originalBytes() {
        return originalBytes.get();
    }

    public long storedBytes() {
        return storedBytes.get();
    }

    /** The name of the last file archived; empty before the first. */
    public String lastArchived() {
        return lastArchived.get();
    }

    /** When the last file was archived, if one was. */
    public java.util.Optional<Instant> lastArchivedAt() {
        return java.util.Optional.ofNullable(lastArchivedAt.get());
    }

    /** The last failure's error code, if there was one. */
    public java.util.Optional<ErrorCode> lastFailureCode() {
        return java.util.Optional.ofNullable(lastFailureCode.get());
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
        values.put("failed_count", Long.toString(failed()));
        values.put("archived_bytes", Long.toString(originalBytes.get()));
        values.put("stored_bytes", Long.toString(storedBytes.get()));
        values.put("last_archived_wal", lastArchived.get());
        values.put("last_archived_time", String.valueOf(lastArchivedAt.get() == null ? "" : lastArchivedAt.get()));
        values.put("last_failure", lastFailure.get());
        values.put("last_failure_time", String.valueOf(lastFailureAt.get() == null ? "" : lastFailureAt.get()));
        return values;
    }
}
