package dev.walden.agent.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.walden.agent.Agent;
import java.util.List;

/**
 * The JSON {@code /status} serves: what {@code walden status} shows (the agent's STATUS values),
 * its health and archive lag, the database probe's findings, and what the repository holds as
 * {@code walden list --json} reports it (backups, dumps, WAL, recoverable window), as of the
 * repository probe's last look. Built from values the probes already hold, so a request never
 * waits for the repository or the database.
 */
final class StatusDocument {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The report's fields that STATUS already gives (under the same names). */
    private static final List<String> ALREADY_IN_STATUS = List.of("repository", "system_identifier", "pg_major");

    private StatusDocument() {
    }

    static String render(Agent agent, HealthProbe health, DatabaseProbe database, RepositoryProbe repository)
            throws com.fasterxml.jackson.core.JsonProcessingException {
        ObjectNode root = JSON.createObjectNode();
        agent.status().forEach(root::put);
        root.put("last_failure_reason", agent.stats().lastFailureCode().map(c -> c.wireName()).orElse(""));
        health.readyFiles().ifPresentOrElse(n -> root.put("ready_files", n), () -> root.putNull("ready_files"));
        HealthProbe.Health h = health.health();
        root.put("healthy", h.healthy());
        root.put("health", h.reason());

        DatabaseProbe.Verdict v = database.verdict();
        ObjectNode db = root.putObject("database");
        db.put("target", database.target());
        db.put("up", v.problem().isEmpty());
        v.problem().ifPresent(p -> db.put("problem", p));
        if (v.failedCount() >= 0) {
            db.put("archiver_failed_count", v.failedCount());
        }
        v.lastFailed().ifPresent(t -> db.put("archiver_last_failed_time", t.toString()));
        v.lastArchived().ifPresent(t -> db.put("archiver_last_archived_time", t.toString()));
        if (v.walPosition() >= 0) {
            db.put("wal_position_bytes", (long) v.walPosition());
        }
        db.put("probed_at", v.at().toString());

        repository.snapshot().ifPresent(s -> {
            ObjectNode report = JSON.valueToTree(s.report());
            ALREADY_IN_STATUS.forEach(report::remove);
            root.setAll(report);
            root.put("repository_read_at", s.at().toString());
        });
        repository.lastError().ifPresent(e -> root.put("repository_read_error", e));
        return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n";
    }
}
