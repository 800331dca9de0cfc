package dev.walden.crypto;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.walden.storage.ObjectInfo;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Which key each object of an encrypted repository is encrypted with, read from the objects'
 * headers: what {@code walden verify} reports after a rotation, and what {@code walden key
 * rewrap} works through.
 *
 * @param examples up to {@value #EXAMPLES} object keys, so a report names some without listing thousands
 */
public record KeyUsage(@JsonProperty("id") int id, @JsonProperty("retired") boolean retired,
                       @JsonProperty("objects") long objects, @JsonProperty("examples") List<String> examples) {
    static final int EXAMPLES = 3;

    /** Reads the header of every object (not the rest of it), in key order. */
    public static List<KeyUsage> scan(EncryptingStorage storage) throws IOException {
        Map<Integer, long[]> counts = new TreeMap<>();
        Map<Integer, List<String>> examples = new TreeMap<>();
        for (ObjectInfo object : storage.list("")) {
            if (!storage.isEncrypted(object.key())) {
                continue;
            }
            int id = storage.keyIdOf(object.key());
            counts.computeIfAbsent(id, k -> new long[1])[0]++;
            List<String> some = examples.computeIfAbsent(id, k -> new ArrayList<>());
            if (some.size() < EXAMPLES) {
                some.add(object.key());
            }
        }
        List<KeyUsage> usage = new ArrayList<>();
        for (Keyring.Entry entry : storage.keyring().entries()) {
            long n = counts.containsKey(entry.id()) ? counts.get(entry.id())[0] : 0;
            usage.add(new KeyUsage(entry.id(), entry.isRetired(), n, examples.getOrDefault(entry.id(), List.of())));
        }
        counts.keySet().stream().filter(id -> storage.keyring().entry(id).isEmpty()).forEach(id ->
                usage.add(new KeyUsage(id, true, counts.get(id)[0], examples.get(id))));
        return usage;
    }

    /** "key 1 (retired): 37 objects, e.g. wal/…": one line for verify's report. */
    public String describe() {
        return "key " + id + (retired ? " (retired)" : "") + ": " + objects + (objects == 1 ? " object" : " objects")
                + (examples.isEmpty() ? "" : ", e.g. " + String.join(", ", examples));
    }
}
