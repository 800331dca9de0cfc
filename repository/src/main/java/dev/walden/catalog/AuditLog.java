package dev.walden.catalog;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.walden.config.Secrets;
import dev.walden.repo.Json;
import dev.walden.storage.HostName;
import dev.walden.storage.ObjectInfo;
import dev.walden.storage.ObjectWriter;
import dev.walden.storage.Storage;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The audit trail: who took, expired, restored, recovered or verified what, when, and how it ended. One
 * object per event under {@code audit/}, written once and never rewritten or expired by walden, so
 * the trail is append-only on posix and on S3 alike, and lives with the backups it describes
 * rather than on whichever host ran the command. Names sort by time:
 * {@code audit/20261201T031500.123Z-restore-db1-4242-7f3a.json}.
 */
public final class AuditLog {
    public static final String ROOT = "audit/";
    private static final DateTimeFormatter NAME_TIME =
            DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss.SSS'Z'", Locale.ROOT).withZone(ZoneOffset.UTC);

    /**
     * One event. {@code result} is {@code ok}, {@code failed}, or {@code refused} (walden declined
     * before changing anything); {@code detail} says what came of it.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Entry(@JsonProperty("time") String time,
                        @JsonProperty("action") String action,
                        @JsonProperty("target") String target,
                        @JsonProperty("result") String result,
                        @JsonProperty("detail") String detail,
                        @JsonProperty("duration_seconds") double durationSeconds,
                        @JsonProperty("user") String user,
                        @JsonProperty("host") String host,
                        @JsonProperty("pid") long pid,
                        @JsonProperty("trigger") String trigger) {
        public boolean ok() {
            return "ok".equals(result);
        }
    }

    private final Storage storage;

    public AuditLog(Storage storage) {
        this.storage = storage;
    }

    /**
     * An entry for an action this process ran: the OS user, host and pid are this process's.
     *
     * @param trigger what started it: {@code command}, {@code schedule}, or who asked the agent
     */
    public static Entry entry(String action, String target, boolean ok, String detail, Instant started,
                              Clock clock, String trigger) {
        double seconds = Duration.between(started, clock.instant()).toMillis() / 1000.0;
        // a reason is often an exception's message: it must not carry a secret into the trail
        return new Entry(started.toString(), action, Secrets.redact(target), ok ? "ok" : "failed",
                Secrets.redact(detail), seconds,
                System.getProperty("user.name"), HostName.get(), ProcessHandle.current().pid(), trigger);
    }

    /**
     * An entry for an action this process declined before changing anything (the target is taken,
     * the port is production's, nobody confirmed): result {@code refused}, the reason as detail.
     */
    public static Entry refused(String action, String target, String reason, Instant started, Clock clock,
                                String trigger) {
        Entry e = entry(action, target, false, reason, started, clock, trigger);
        return new Entry(e.time(), e.action(), e.target(), "refused", e.detail(), e.durationSeconds(), e.user(),
                e.host(), e.pid(), e.trigger());
    }

    /** Adds {@code entry} under a name of its own; never replaces an earlier one. */
    public void append(Entry entry) throws IOException {
        String key = ROOT + NAME_TIME.format(Instant.parse(entry.time())) + "-" + entry.action() + "-"
                + safe(entry.host()) + "-" + entry.pid() + "-"
                + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x10000, 0x100000)) + ".json";
        try (ObjectWriter writer = storage.write(key)) {
            Json.MAPPER.writeValue(writer.stream(), entry);
            writer.commit();
        }
    }

    /**
     * Appends, and reports a failure to {@code warn} instead of throwing: the trail must not turn a
     * restore that worked into one that failed, nor hide the real error of one that didn't.
     */
    public boolean tryAppend(Entry entry, java.util.function.Consumer<String> warn) {
        try {
            append(entry);
            return true;
        } catch (IOException | RuntimeException e) {
            warn.accept("could not add " + entry.action() + " of " + entry.target() + " to the audit log in "
                    + storage.describe() + ": " + e.getMessage());
            return false;
        }
    }

    /** Entries that began at or after {@code since} (all when empty), oldest first. */
    public List<Entry> read(Optional<Instant> since) throws IOException {
        String from = since.map(t -> ROOT + NAME_TIME.format(t)).orElse("");
        List<Entry> entries = new ArrayList<>();
        List<ObjectInfo> objects = new ArrayList<>(storage.list(ROOT));
        objects.sort(Comparator.comparing(ObjectInfo::key));
        for (ObjectInfo object : objects) {
            if (!object.key().endsWith(".json") || object.key().compareTo(from) < 0) {
                continue;
            }
            try (InputStream in = storage.read(object.key())) {
                entries.add(Json.MAPPER.readValue(in, Entry.class));
            } catch (com.fasterxml.jackson.core.JacksonException e) {
                throw new IOException("audit entry '" + object.key() + "' is not valid JSON: " + e.getOriginalMessage(), e);
            }
        }
        return entries;
    }

    /** Host names go into object names: keep them to characters every store accepts. */
    private static String safe(String host) {
        String s = host.replaceAll("[^A-Za-z0-9.-]", "_");
        return s.length() > 63 ? s.substring(0, 63) : s;
    }
}
