package dev.walden.repo;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.walden.wal.ClusterIdentity;
import dev.walden.wal.WalSegmentSize;
import java.time.Instant;
import java.util.Optional;

/**
 * {@code repository.json}: the repository format version, the cluster the repository is bound
 * to, and whether its objects are encrypted. The system identifier is written as a decimal string
 * because it doesn't fit a JSON number that every reader handles exactly; {@code created} is an
 * ISO-8601 instant; {@code encryption} is absent in a plain repository, {@code aes-256-gcm} in an
 * encrypted one, whose format is 2 so that a walden that predates encryption refuses it instead
 * of reading ciphertext as WAL.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RepositoryInfo(
        @JsonProperty("format") int format,
        @JsonProperty("system_identifier") String systemIdentifier,
        @JsonProperty("pg_major") int pgMajor,
        @JsonProperty("wal_segment_size") int walSegmentSize,
        @JsonProperty("created") String created,
        @JsonProperty("encryption") String encryption) {

    /** The format of a plain repository. */
    public static final int FORMAT = 1;
    /** The format of an encrypted repository. */
    public static final int ENCRYPTED_FORMAT = 2;

    public static RepositoryInfo forCluster(ClusterIdentity cluster, Instant created, Optional<String> encryption) {
        return new RepositoryInfo(encryption.isPresent() ? ENCRYPTED_FORMAT : FORMAT,
                Long.toUnsignedString(cluster.systemIdentifier()), cluster.pgMajor(), cluster.segmentSize().bytes(),
                created.toString(), encryption.orElse(null));
    }

    /** The cipher of an encrypted repository; empty for a plain one. */
    public Optional<String> cipher() {
        return Optional.ofNullable(encryption);
    }

    /** Whether this walden reads this format: 1 plain, 2 encrypted (and says with what). */
    boolean readable() {
        return format == FORMAT && encryption == null || format == ENCRYPTED_FORMAT && encryption != null;
    }

    /** The cluster identity recorded here. */
    public ClusterIdentity cluster() {
        return new ClusterIdentity(Long.parseUnsignedLong(systemIdentifier), pgMajor, new WalSegmentSize(walSegmentSize));
    }
}
