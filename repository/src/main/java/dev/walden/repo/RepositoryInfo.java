package dev.walden.repo;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.walden.wal.ClusterIdentity;
import dev.walden.wal.WalSegmentSize;
import java.time.Instant;

/**
 * {@code repository.json}: the repository format version and the cluster the repository is bound
 * to. The system identifier is written as a decimal string because it doesn't fit a JSON number
 * that every reader handles exactly; {@code created} is an ISO-8601 instant.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record RepositoryInfo(
        @JsonProperty("format") int format,
        @JsonProperty("system_identifier") String systemIdentifier,
        @JsonProperty("pg_major") int pgMajor,
        @JsonProperty("wal_segment_size") int walSegmentSize,
        @JsonProperty("created") String created) {

    /** The repository format this walden reads and writes. */
    public static final int FORMAT = 1;

    public static RepositoryInfo forCluster(ClusterIdentity cluster, Instant created) {
        return new RepositoryInfo(FORMAT, Long.toUnsignedString(cluster.systemIdentifier()), cluster.pgMajor(),
                cluster.segmentSize().bytes(), created.toString());
    }

    /** The cluster identity recorded here. */
    public ClusterIdentity cluster() {
        return new ClusterIdentity(Long.parseUnsignedLong(systemIdentifier), pgMajor, new WalSegmentSize(walSegmentSize));
    }
}
