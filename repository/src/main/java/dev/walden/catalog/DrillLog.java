package dev.walden.catalog;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.walden.repo.Json;
import dev.walden.storage.HostName;
import dev.walden.storage.ObjectInfo;
import dev.walden.storage.ObjectWriter;
import dev.walden.storage.Storage;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The record of restore drills: what {@code walden drill} restored, how far it got, how long each
 * phase took and what its checks found. One object per drill under {@code drills/}, written once,
 * named so that names sort by time: {@code drills/20261206T031500.123Z-db1-4242.json}. Like the
 * audit trail, drills live with the backups they prove and are never expired by walden.
 */
public final class DrillLog {
    public static final String ROOT = "drills/";
    /** Lines of the server's log kept in the record of a failed drill. */
    public static final int LOG_TAIL_LINES = 40;
    private static final DateTimeFormatter NAME_TIME =
            DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss.SSS'Z'", Locale.ROOT).withZone(ZoneOffset.UTC);

    /** One check of the restored copy: {@code result} is {@code ok}, {@code failed} or {@code skipped}. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Check(@JsonProperty("name") String name, @JsonProperty("result") String result,
                        @JsonProperty("detail") String detail) {
        public static Check ok(String name, String detail) {
            return new Check(name, "ok", detail);
        }

        public static Check failed(String name, String detail) {
            return new Check(name, "failed", detail);
        }

        public static Check skipped(String name, String why) {
            return new Check(name, "skipped", why);
        }

        public boolean isFailure() {
            return "failed".equals(result);
        }
    }

    /**
     * One drill.
     *
     * @param result {@code ok} (restored, reached the target, every check passed or was skipped) or {@code failed}
     * @param reached the last WAL location replayed and the commit time of the last transaction, as the server said
     * @param phasesSeconds seconds per phase: plan, restore, stage, recover, checks, cleanup, total
     * @param rtoSeconds from the drill's start to a consistent copy ({@code consistent}) and to the
     *     promoted copy at its target ({@code target}): the time a real recovery would take
     * @param failure why the drill failed, one line; null when it did not
     * @param logTail the last lines of the server's log when the drill failed after starting it
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Drill(@JsonProperty("time") String time,
                        @JsonProperty("result") String result,
                        @JsonProperty("backup") String backup,
                        @JsonProperty("target") String target,
                        @JsonProperty("reached_lsn") String reachedLsn,
                        @JsonProperty("reached_transaction_time") String reachedTransactionTime,
                        @JsonProperty("timeline") Integer timeline,
                        @JsonProperty("phases_seconds") Map<String, Double> phasesSeconds,
                        @JsonProperty("rto_seconds") Map<String, Double> rtoSeconds,
                        @JsonProperty("checks") List<Check> checks,
                        @JsonProperty("failure") String failure,
                        @JsonProperty("log_tail") List<String> logTail,
                        @JsonProperty("host") String host,
                        @JsonProperty("pid") long pid,
                        @JsonProperty("trigger") String trigger) {
        public boolean ok() {
            return "ok".equals(result);
        }

        /** Start to the promoted copy at its target, when the drill got that far. */
        public Optional<Double> rto() {
            return Optional.ofNullable(rtoSeconds).map(r -> r.get("target"));
        }

        /** A drill of this process (host, pid) that began at {@code started}. */
        public static Drill of(Instant started, boolean ok, String backup, String target, String reachedLsn,
                               String reachedTransactionTime, Integer timeline, Map<String, Double> phases,
                               Map<String, Double> rto, List<Check> checks, String failure, List<String> logTail,
                               String trigger) {
            return new Drill(started.toString(), ok ? "ok" : "failed", backup, target, reachedLsn,
                    reachedTransactionTime, timeline, phases, rto, List.copyOf(checks), failure,
                    logTail == null ? null : List.copyOf(logTail), HostName.get(), ProcessHandle.current().pid(),
                    trigger);
        }
    }

    private final Storage storage;

    public DrillLog(Storage storage) {
        this.storage = storage;
    }

    /** Stores {@code drill} under a name of its own; never replaces an earlier one. */
    public String append(Drill drill) throws IOException {
        String key = ROOT + NAME_TIME.format(Instant.parse(drill.time())) + "-"
                + drill.host().replaceAll("[^A-Za-z0-9.-]", "_") + "-" + drill.pid() + ".json";
        try (ObjectWriter writer = storage.write(key)) {
            Json.MAPPER.writeValue(writer.stream(), drill);
            writer.commit();
        }
        return key;
    }

    /** Every readable drill record, oldest first; a record that is not valid JSON is skipped. */
    public List<Drill> read() throws IOException {
        List<ObjectInfo> objects = new ArrayList<>(storage.list(ROOT));
        objects.sort(Comparator.comparing(ObjectInfo::key));
        List<Drill> drills = new ArrayList<>();
        for (ObjectInfo object : objects) {
            if (!object.key().endsWith(".json")) {
                continue;
            }
            try (InputStream in = storage.read(object.key())) {
                Drill drill = Json.MAPPER.readValue(in, Drill.class);
                if (drill.time() != null && drill.result() != null) {
                    drills.add(drill);
                }
            } catch (com.fasterxml.jackson.core.JacksonException e) {
                // one damaged record must not hide the others (or break walden list): it is skipped
            }
        }
        return drills;
    }

    /** The newest drill, and the newest that succeeded (the same one when the newest did). */
    public record Latest(Optional<Drill> last, Optional<Drill> lastSuccess) {
    }

    public Latest latest() throws IOException {
        List<Drill> drills = read();
        Optional<Drill> last = drills.isEmpty() ? Optional.empty() : Optional.of(drills.get(drills.size() - 1));
        Optional<Drill> success = Optional.empty();
        for (Drill d : drills) {
            if (d.ok()) {
                success = Optional.of(d);
            }
        }
        return new Latest(last, success);
    }
}
