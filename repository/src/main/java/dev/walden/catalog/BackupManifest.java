package dev.walden.catalog;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * {@code backups/<label>/manifest.json}: everything about one base backup. Written when the
 * backup begins ({@code incomplete}, {@value #INTERRUPTED}), and replaced when it ends, after the
 * copy and the wait for its WAL; a backup directory without a manifest was left by a walden that
 * didn't write the first record, or by a deletion cut short. A backup is usable only with
 * {@code status = complete}: every file copied and every WAL file from its start to its stop in
 * the repository.
 *
 * @param files every file of the data directory that was copied, pg_control last
 * @param directories every directory to recreate, including the ones whose contents are excluded
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record BackupManifest(
        @JsonProperty("format") int format,
        @JsonProperty("label") String label,
        @JsonProperty("status") String status,
        @JsonProperty("status_detail") String statusDetail,
        @JsonProperty("system_identifier") String systemIdentifier,
        @JsonProperty("pg_version") String pgVersion,
        @JsonProperty("pg_major") int pgMajor,
        @JsonProperty("wal_segment_size") int walSegmentSize,
        @JsonProperty("start_time") String startTime,
        @JsonProperty("stop_time") String stopTime,
        @JsonProperty("start_lsn") String startLsn,
        @JsonProperty("stop_lsn") String stopLsn,
        @JsonProperty("start_timeline") int startTimeline,
        @JsonProperty("stop_timeline") int stopTimeline,
        @JsonProperty("start_wal") String startWal,
        @JsonProperty("stop_wal") String stopWal,
        @JsonProperty("compression") String compression,
        @JsonProperty("original_bytes") long originalBytes,
        @JsonProperty("stored_bytes") long storedBytes,
        @JsonProperty("data_checksums") boolean dataChecksums,
        @JsonProperty("checksum_failures") List<PageFailure> checksumFailures,
        @JsonProperty("tablespaces") List<Tablespace> tablespaces,
        @JsonProperty("directories") List<String> directories,
        @JsonProperty("files") List<BackupFile> files) {

    public static final int FORMAT = 1;
    public static final String COMPLETE = "complete";
    public static final String INCOMPLETE = "incomplete";
    /**
     * How {@code status_detail} begins in the record a backup writes before it begins; the backup
     * replaces that record when it ends, so a record that still says so was never finished.
     */
    public static final String INTERRUPTED = "interrupted";

    public boolean isComplete() {
        return COMPLETE.equals(status);
    }

    /**
     * One copied file.
     *
     * @param path relative to the data directory, {@code /}-separated; tablespace files under
     *     {@code pg_tblspc/<oid>/}
     * @param key the object holding its (compressed) content
     * @param sha256 of the original bytes as copied
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record BackupFile(
            @JsonProperty("path") String path,
            @JsonProperty("key") String key,
            @JsonProperty("size") long size,
            @JsonProperty("stored_size") long storedSize,
            @JsonProperty("sha256") String sha256,
            @JsonProperty("mode") String mode) {
    }

    /** A tablespace: its OID (the link name in pg_tblspc) and where it lived. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Tablespace(@JsonProperty("oid") String oid, @JsonProperty("location") String location) {
    }

    /** A page whose checksum failed twice while it was copied. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record PageFailure(@JsonProperty("path") String path, @JsonProperty("block") long block) {
    }
}
