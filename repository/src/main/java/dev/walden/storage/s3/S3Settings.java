package dev.walden.storage.s3;

import dev.walden.config.ConfigException;
import dev.walden.config.ConfigKeys;
import dev.walden.config.ConfigSource;
import java.net.URI;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Where and how an S3 repository is stored, read from the {@code repository.s3.*} keys.
 * Credentials are never part of it: they come from the SDK's default provider chain.
 *
 * @param prefix     key prefix without leading or trailing slash; empty: the bucket's root
 * @param partBytes  size of the parts of a multipart upload, also the largest single PUT
 */
public record S3Settings(String bucket, String prefix, Optional<String> region, Optional<URI> endpoint,
                         boolean pathStyle, Encryption encryption, Optional<String> kmsKeyId,
                         Optional<String> storageClass, Duration timeout, int attempts, int partBytes) {
    /** Large enough for a WAL segment of the default 16 MiB in one PUT, small enough to buffer per writer. */
    public static final int DEFAULT_PART_BYTES = 16 * 1024 * 1024;
    /** S3's smallest part (except the last). */
    public static final int MIN_PART_BYTES = 5 * 1024 * 1024;
    private static final Pattern BUCKET = Pattern.compile("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");
    private static final Pattern PREFIX = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._-]*(/[A-Za-z0-9_][A-Za-z0-9._-]*)*");

    /** Server-side encryption asked for on every write. */
    public enum Encryption { NONE, S3, KMS }

    public S3Settings {
        if (!BUCKET.matcher(bucket).matches()) {
            throw new IllegalArgumentException("'" + bucket + "' is not a valid S3 bucket name");
        }
        checkPrefix(prefix);
        if (kmsKeyId.isPresent() && encryption != Encryption.KMS) {
            throw new IllegalArgumentException("a KMS key id needs KMS encryption");
        }
        if (partBytes < MIN_PART_BYTES) {
            throw new IllegalArgumentException("parts must be at least 5 MiB");
        }
    }

    /** A bucket on an endpoint with defaults for everything else: for tests and tools. */
    public static S3Settings of(String bucket, String prefix, URI endpoint) {
        return new S3Settings(bucket, prefix, Optional.of("us-east-1"), Optional.of(endpoint), true, Encryption.NONE,
                Optional.empty(), Optional.empty(), Duration.ofSeconds(30), 5, DEFAULT_PART_BYTES);
    }

    public S3Settings withTimeout(Duration newTimeout, int newAttempts) {
        return new S3Settings(bucket, prefix, region, endpoint, pathStyle, encryption, kmsKeyId, storageClass,
                newTimeout, newAttempts, partBytes);
    }

    public S3Settings withPartBytes(int bytes) {
        return new S3Settings(bucket, prefix, region, endpoint, pathStyle, encryption, kmsKeyId, storageClass,
                timeout, attempts, bytes);
    }

    private static void checkPrefix(String prefix) {
        if (!prefix.isEmpty() && !PREFIX.matcher(prefix).matches()) {
            throw new IllegalArgumentException("'" + prefix + "' is not a valid prefix: segments separated by '/', "
                    + "each starting with a letter, digit or '_' and holding only letters, digits and '._-'");
        }
    }

    public static S3Settings from(ConfigSource config) throws ConfigException {
        return read(config, Optional.of(config.required(ConfigKeys.S3_BUCKET))).orElseThrow();
    }

    /**
     * Checks every {@code repository.s3.*} value that is set, the bucket only when it is: for a
     * command that doesn't open the repository, or a posix repository's config.
     */
    public static void check(ConfigSource config) throws ConfigException {
        read(config, nonEmpty(config, ConfigKeys.S3_BUCKET));
    }

    private static Optional<S3Settings> read(ConfigSource config, Optional<String> bucket) throws ConfigException {
        String prefix = config.raw(ConfigKeys.S3_PREFIX).orElse("");
        while (prefix.endsWith("/")) {
            prefix = prefix.substring(0, prefix.length() - 1);
        }
        Optional<URI> endpoint;
        try {
            endpoint = nonEmpty(config, ConfigKeys.S3_ENDPOINT).map(URI::create);
        } catch (IllegalArgumentException e) {
            throw config.invalid(ConfigKeys.S3_ENDPOINT, "not a URL like https://host:port: " + e.getMessage());
        }
        if (endpoint.isPresent() && (endpoint.get().getScheme() == null || endpoint.get().getHost() == null)) {
            throw config.invalid(ConfigKeys.S3_ENDPOINT, "'" + endpoint.get() + "' is not a URL like https://host:port");
        }
        Encryption encryption;
        try {
            encryption = Encryption.valueOf(config.required(ConfigKeys.S3_SSE).toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw config.invalid(ConfigKeys.S3_SSE, "expected none, s3 or kms");
        }
        Optional<String> kmsKey = nonEmpty(config, ConfigKeys.S3_KMS_KEY_ID);
        if (kmsKey.isPresent() && encryption != Encryption.KMS) {
            throw config.invalid(ConfigKeys.S3_KMS_KEY_ID, "is set but repository.s3.sse is not kms");
        }
        Optional<String> region = nonEmpty(config, ConfigKeys.S3_REGION);
        if (region.isEmpty() && endpoint.isPresent()) {
            region = Optional.of("us-east-1"); // S3-compatible stores accept any; the SDK needs one to sign
        }
        boolean pathStyle = config.bool(ConfigKeys.S3_PATH_STYLE);
        Duration timeout = config.duration(ConfigKeys.S3_TIMEOUT);
        int attempts = config.integer(ConfigKeys.S3_ATTEMPTS, 1, 20);
        try {
            if (bucket.isEmpty()) {
                checkPrefix(prefix);
                return Optional.empty();
            }
            return Optional.of(new S3Settings(bucket.get(), prefix, region, endpoint, pathStyle, encryption, kmsKey,
                    nonEmpty(config, ConfigKeys.S3_STORAGE_CLASS), timeout, attempts, DEFAULT_PART_BYTES));
        } catch (IllegalArgumentException e) {
            throw config.invalid(e.getMessage().contains("bucket") ? ConfigKeys.S3_BUCKET : ConfigKeys.S3_PREFIX,
                    e.getMessage());
        }
    }

    private static Optional<String> nonEmpty(ConfigSource config, dev.walden.config.ConfigKey key) {
        return config.raw(key).map(String::strip).filter(v -> !v.isEmpty());
    }

    /** {@code s3://bucket/prefix}, for messages. */
    public String describe() {
        return "s3://" + bucket + (prefix.isEmpty() ? "" : "/" + prefix);
    }
}
