package dev.walden.catalog;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.walden.repo.Json;
import dev.walden.storage.HostName;
import dev.walden.storage.NoSuchObjectException;
import dev.walden.storage.ObjectWriter;
import dev.walden.storage.Storage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * {@code state/changed.json}: one small object, rewritten by whatever changes what the catalogs hold
 * outside the agent (a dump or an expiry run by hand, on this host or another), so that the
 * agent's repository probe can notice within seconds by reading it, instead of listing the whole
 * repository that often (thousands of objects and one request per thousand on S3). Its content
 * is what changed, when, and by which process: readers compare it, they need not parse it.
 */
public final class ChangeMarker {
    public static final String KEY = "state/changed.json";

    private record Change(@JsonProperty("time") String time, @JsonProperty("change") String change,
                          @JsonProperty("host") String host, @JsonProperty("pid") long pid) {
    }

    private ChangeMarker() {
    }

    /** Records that {@code change} (e.g. {@code dump of shop}) has just altered the repository. */
    public static void note(Storage storage, String change) throws IOException {
        // nanoseconds and the pid: two notes never read the same, even within S3's one-second Last-Modified
        Change c = new Change(Instant.now().toString(), change, HostName.get(), ProcessHandle.current().pid());
        try (ObjectWriter writer = storage.write(KEY)) {
            Json.MAPPER.writeValue(writer.stream(), c);
            writer.commit();
        }
    }

    /**
     * Notes a change, reporting a failure to {@code warn} instead of throwing: the change itself
     * is done; without the note the agent's figures follow at its next full look (5 minutes).
     */
    public static void tryNote(Storage storage, String change, Consumer<String> warn) {
        try {
            note(storage, change);
        } catch (IOException | RuntimeException e) {
            warn.accept("could not note the " + change + " in '" + KEY + "' of " + storage.describe() + " ("
                    + e.getMessage() + "): the agent's /metrics and /status show it within 5 minutes, not seconds");
        }
    }

    /** The last note as written; empty when there has been none. */
    public static Optional<String> read(Storage storage) throws IOException {
        try (InputStream in = storage.read(KEY)) {
            return Optional.of(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (NoSuchObjectException e) {
            return Optional.empty();
        }
    }
}
