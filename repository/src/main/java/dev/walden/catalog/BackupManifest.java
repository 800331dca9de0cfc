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
 * <p>An incremental backup ({@code type = incr}) names its {@code parent}; its manifest still
 * describes every file of the data directory, but a file may be held by objects of earlier
 * backups of its chain: a file unchanged since the parent keeps the parent's entry, and a changed
 * relation file may be its base object plus {@link Delta deltas} of changed blocks. So a manifest
 * alone says how to rebuild every file; the chain matters for which objects must stay.
 *
 * @param files every file of the data directory that was copied, pg_control last
 * @param directories every directory to recreate, including the ones whose contents are excluded
 * @param type {@value #FULL} or {@value #INCREMENTAL}; absent in format 1, which was always full
 * @param parent the label of the backup an incremental builds on
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
        @JsonProperty("files") List<BackupFile> files,
        @JsonProperty("type") String type,
        @JsonProperty("parent") String parent) {

    /** Format 2 added incremental backups; a walden that knows only 1 must not read them as full. */
    public static final int FORMAT = 2;
    public static final String FULL = "full";
    public static final String INCREMENTAL = "incr";
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

    /** A full backup's manifest. */
    public BackupManifest(int format, String label, String status, String statusDetail, String systemIdentifier,
                          String pgVersion, int pgMajor, int walSegmentSize, String startTime, String stopTime,
                          String startLsn, String stopLsn, int startTimeline, int stopTimeline, String startWal,
                          String stopWal, String compression, long originalBytes, long storedBytes,
                          boolean dataChecksums, List<PageFailure> checksumFailures, List<Tablespace> tablespaces,
                          List<String> directories, List<BackupFile> files) {
        this(format, label, status, statusDetail, systemIdentifier, pgVersion, pgMajor, walSegmentSize, startTime,
                stopTime, startLsn, stopLsn, startTimeline, stopTimeline, startWal, stopWal, compression, originalBytes,
                storedBytes, dataChecksums, checksumFailures, tablespaces, directories, files, FULL, null);
    }

    /** {@value #FULL} or {@value #INCREMENTAL}; manifests of format 1 are full. */
    public String backupType() {
        return type == null ? FULL : type;
    }

    public boolean isIncremental() {
        return INCREMENTAL.equals(backupType());
    }

    /**
     * One copied file.
     *
     * @param path relative to the data directory, {@code /}-separated; tablespace files under
     *     {@code pg_tblspc/<oid>/}
     * @param key the object holding its (compressed) content: the whole file as some backup of the
     *     chain copied it (its base)
     * @param size of the file as this backup saw it (its base and deltas rebuild that many bytes)
     * @param storedSize of the base object
     * @param sha256 of the base object's original bytes
     * @param mtime the file's modification time when it was read, ISO-8601; absent when it is too
     *     close to the copy to prove the next backup anything (see docs/architecture.md)
     * @param deltas changed blocks over the base, oldest first; absent for a whole copy
     * @param blockMap the {@link BlockMap} of the file as this backup saw it, for the next
     *     incremental to compare with; absent for files walden does not track by block
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    public record BackupFile(
            @JsonProperty("path") String path,
            @JsonProperty("key") String key,
            @JsonProperty("size") long size,
            @JsonProperty("stored_size") long storedSize,
            @JsonProperty("sha256") String sha256,
            @JsonProperty("mode") String mode,
            @JsonProperty("mtime") String mtime,
            @JsonProperty("deltas") List<Delta> deltas,
            @JsonProperty("block_map") StoredObject blockMap) {

        public BackupFile {
            deltas = deltas == null ? List.of() : List.copyOf(deltas);
        }

        /** A whole copy, without a modification time or a block map. */
        public BackupFile(String path, String key, long size, long storedSize, String sha256, String mode) {
            this(path, key, size, storedSize, sha256, mode, null, List.of(), null);
        }

        /**
         * Every object this file needs: its base, its deltas and its block map. The base's and the
         * deltas' original sizes are not recorded where they differ from the file's: 0 there.
         */
        public List<StoredObject> objects() {
            List<StoredObject> objects = new java.util.ArrayList<>();
            objects.add(new StoredObject(key, deltas.isEmpty() ? size : 0, storedSize, sha256));
            deltas.forEach(d -> objects.add(new StoredObject(d.key(), 0, d.storedSize(), d.sha256())));
            if (blockMap != null) {
                objects.add(blockMap);
            }
            return objects;
        }
    }

    /**
     * Blocks of a relation file that changed since the backup before: their 8 KiB pages in block
     * order, the last one shorter when the file ended within it.
     *
     * @param size of the whole file when this delta was taken (the length of its last block follows)
     * @param blocks which blocks, as {@link BlockRanges}
     * @param sha256 of the delta's original bytes
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Delta(
            @JsonProperty("key") String key,
            @JsonProperty("size") long size,
            @JsonProperty("stored_size") long storedSize,
            @JsonProperty("sha256") String sha256,
            @JsonProperty("blocks") String blocks) {
    }

    /** An object and the SHA-256 of its original bytes. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record StoredObject(@JsonProperty("key") String key, @JsonProperty("size") long size,
                               @JsonProperty("stored_size") long storedSize, @JsonProperty("sha256") String sha256) {
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
