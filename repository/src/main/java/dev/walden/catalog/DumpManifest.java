package dev.walden.catalog;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * {@code dumps/<db>/<name>.json}, written next to a dump once it has been verified. A dump file
 * without it failed or was interrupted, and never becomes {@code latest}.
 *
 * @param sha256 of pg_dump's output, before walden's compression
 * @param verification how it was verified: the plain format's closing "dump complete" line, or
 *     {@code pg_restore} reading a custom-format dump back in full
 * @param durationSeconds from pg_dump's start to the verified dump; null in manifests written
 *     before walden recorded it
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record DumpManifest(
        @JsonProperty("format") int format,
        @JsonProperty("database") String database,
        @JsonProperty("key") String key,
        @JsonProperty("created") String created,
        @JsonProperty("dump_format") String dumpFormat,
        @JsonProperty("compression") String compression,
        @JsonProperty("sha256") String sha256,
        @JsonProperty("original_bytes") long originalBytes,
        @JsonProperty("stored_bytes") long storedBytes,
        @JsonProperty("verification") String verification,
        @JsonProperty("pg_dump_version") String pgDumpVersion,
        @JsonProperty("server_version") String serverVersion,
        @JsonProperty("duration_seconds") Double durationSeconds) {
    public static final int FORMAT = 1;
}
