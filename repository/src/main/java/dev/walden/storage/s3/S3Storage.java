package dev.walden.storage.s3;

import dev.walden.concurrent.DaemonThreads;
import dev.walden.storage.NoSuchObjectException;
import dev.walden.storage.ObjectInfo;
import dev.walden.storage.ObjectWriter;
import dev.walden.storage.Storage;
import dev.walden.storage.StorageKeys;
import dev.walden.storage.StorageLock;
import dev.walden.storage.WriteOption;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.regex.Pattern;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.LegacyMd5Plugin;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.DeleteObjectsResponse;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.Part;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Error;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;

/**
 * A repository in an S3 bucket under a prefix, one per cluster, many per bucket. Keys map
 * one-to-one onto object keys under the prefix; names starting with a dot ({@code .locks/},
 * {@code .pointers/}) hold the driver's own state and are never listed.
 *
 * <p><b>Why the blocking client.</b> {@link Storage} is a blocking interface called from worker
 * threads (the agent's event loop never touches storage), and reads hand an {@link InputStream}
 * to decompression: the SDK's sync client on Apache HttpClient 5 maps onto that one call to one
 * request with no adapter threads, and its timeouts and retries are the same as the async
 * client's. The async client would add a second event loop and stream adapters for nothing.
 *
 * <p><b>Integrity.</b> Writes carry Content-MD5 (checked by every S3-compatible store, unlike the
 * newer additional checksums, which several stores and proxies still answer with 501); the SDK's
 * automatic CRC checksums are turned off for the same reason, and its legacy MD5 plugin adds
 * Content-MD5 where S3 demands a checksum (DeleteObjects). Reads are verified by the
 * repository against walden's own SHA-256 of every object.
 *
 * <p><b>Failures.</b> Every attempt has {@link S3Settings#timeout()} (also the socket timeout, so
 * a stalled read fails too); transient errors (5xx, throttling, resets, timeouts) are retried with
 * exponential backoff and jitter up to {@link S3Settings#attempts()}; permanent ones (403, no such
 * bucket, bad credentials) fail at once with a message saying what to check.
 */
public final class S3Storage implements Storage {
    private static final Pattern LOCK_NAME = Pattern.compile("[a-z]+");
    private static final String POINTERS = ".pointers/";

    private final S3Client client;
    private final SdkHttpClient http;
    private final S3Settings settings;
    private final String root;
    private final ScheduledExecutorService scheduler;
    private volatile boolean batchDeletes = true;

    /** Upload ids of multipart uploads this process has open: never abandoned, whatever their age. */
    private final Set<String> openUploads = ConcurrentHashMap.newKeySet();

    private S3Storage(S3Client client, SdkHttpClient http, S3Settings settings) {
        this.client = client;
        this.http = http;
        this.settings = settings;
        this.root = settings.prefix().isEmpty() ? "" : settings.prefix() + "/";
        this.scheduler = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("walden-s3-lease"));
    }

    /** Connects and checks that the bucket is there and reachable with the credentials found. */
    public static S3Storage open(S3Settings settings) throws IOException {
        return open(settings, Apache5HttpClient.builder().connectionTimeout(Duration.ofSeconds(10))
                .socketTimeout(settings.timeout()).maxConnections(64).build());
    }

    /**
     * As {@link #open(S3Settings)} over a given HTTP client (tests put a fault-injecting one
     * here); the storage closes it.
     */
    public static S3Storage open(S3Settings settings, SdkHttpClient http) throws IOException {
        S3ClientBuilder builder = S3Client.builder().httpClient(http).forcePathStyle(settings.pathStyle())
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .addPlugin(LegacyMd5Plugin.create()) // Content-MD5 where S3 requires a checksum (DeleteObjects)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .overrideConfiguration(o -> o.apiCallAttemptTimeout(settings.timeout())
                        .retryStrategy(AwsRetryStrategy.standardRetryStrategy().toBuilder()
                                .maxAttempts(settings.attempts()).circuitBreakerEnabled(false).build()));
        settings.region().ifPresent(r -> builder.region(Region.of(r)));
        settings.endpoint().ifPresent(builder::endpointOverride);
        S3Client client;
        try {
            client = builder.build();
        } catch (SdkException e) {
            http.close();
            throw new IOException("cannot set up the S3 client for " + settings.describe() + ": "
                    + S3Failures.reason(e, settings), e);
        }
        S3Storage storage = new S3Storage(client, http, settings);
        try {
            client.headBucket(r -> r.bucket(settings.bucket()));
        } catch (S3Exception e) {
            storage.close();
            if (e.statusCode() == 404) {
                throw new IOException("bucket '" + settings.bucket() + "' does not exist: check repository.s3.bucket, "
                        + "repository.s3.region and repository.s3.endpoint; walden never creates buckets", e);
            }
            throw S3Failures.of("check of the bucket", settings.bucket(), settings, e);
        } catch (SdkException e) {
            storage.close();
            throw S3Failures.of("check of the bucket", settings.bucket(), settings, e);
        }
        return storage;
    }

    S3Client client() {
        return client;
    }

    S3Settings settings() {
        return settings;
    }

    String bucket() {
        return settings.bucket();
    }

    ScheduledExecutorService scheduler() {
        return scheduler;
    }

    String full(String key) {
        return root + key;
    }

    /** The server-side encryption every new object asks for, if any. */
    private Optional<ServerSideEncryption> sse() {
        return switch (settings.encryption()) {
            case S3 -> Optional.of(ServerSideEncryption.AES256);
            case KMS -> Optional.of(ServerSideEncryption.AWS_KMS);
            case NONE -> Optional.empty();
        };
    }

    /** Bucket, key, encryption and storage class of a new object. */
    PutObjectRequest.Builder writeSettings(PutObjectRequest.Builder r, String key) {
        settings.storageClass().ifPresent(r::storageClass);
        return encryption(r.bucket(settings.bucket()).key(full(key)));
    }

    /** Encryption only, for the driver's small objects (pointers, leases): a bucket policy may demand it. */
    PutObjectRequest.Builder encryption(PutObjectRequest.Builder r) {
        sse().ifPresent(r::serverSideEncryption);
        settings.kmsKeyId().ifPresent(r::ssekmsKeyId); // S3Settings allows a key id with kms only
        return r;
    }

    CreateMultipartUploadRequest.Builder writeSettings(CreateMultipartUploadRequest.Builder r, String key) {
        sse().ifPresent(r::serverSideEncryption);
        settings.kmsKeyId().ifPresent(r::ssekmsKeyId);
        settings.storageClass().ifPresent(r::storageClass);
        return r.bucket(settings.bucket()).key(full(key));
    }

    @Override
    public InputStream read(String key) throws IOException {
        StorageKeys.check(key);
        try {
            return new ObjectStream(client.getObject(r -> r.bucket(settings.bucket()).key(full(key))), key);
        } catch (NoSuchKeyException e) {
            throw new NoSuchObjectException(describe(), key);
        } catch (SdkException e) {
            throw S3Failures.of("GET", key, settings, e);
        }
    }

    /** Names the key in mid-stream failures, and aborts instead of draining when closed early. */
    private final class ObjectStream extends FilterInputStream {
        private final ResponseInputStream<GetObjectResponse> response;
        private final String key;
        private boolean ended;

        ObjectStream(ResponseInputStream<GetObjectResponse> response, String key) {
            super(response);
            this.response = response;
            this.key = key;
        }

        @Override
        public int read() throws IOException {
            try {
                int b = super.read();
                ended |= b < 0;
                return b;
            } catch (IOException | SdkException e) {
                throw failure(e);
            }
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            try {
                int n = super.read(b, off, len);
                ended |= n < 0;
                return n;
            } catch (IOException | SdkException e) {
                throw failure(e);
            }
        }

        private IOException failure(Exception e) {
            String message = e.getMessage() == null ? e.getClass().getSimpleName()
                    : e.getMessage().strip().lines().findFirst().orElse("");
            return new IOException("S3 GET of '" + key + "' in " + describe() + " failed mid-stream: " + message, e);
        }

        @Override
        public void close() throws IOException {
            if (!ended) {
                response.abort(); // draining the rest of a large object to reuse the connection isn't worth it
            }
            try {
                super.close();
            } catch (IOException | SdkException e) {
                // aborted: nothing left to release
            }
        }
    }

    @Override
    public Optional<ObjectInfo> stat(String key) throws IOException {
        StorageKeys.check(key);
        try {
            HeadObjectResponse head = client.headObject(r -> r.bucket(settings.bucket()).key(full(key)));
            return Optional.of(new ObjectInfo(key, head.contentLength(), head.lastModified()));
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return Optional.empty();
            }
            throw S3Failures.of("HEAD", key, settings, e);
        } catch (SdkException e) {
            throw S3Failures.of("HEAD", key, settings, e);
        }
    }

    @Override
    public List<ObjectInfo> list(String prefix) throws IOException {
        StorageKeys.checkPrefix(prefix);
        List<ObjectInfo> found = new ArrayList<>();
        try {
            for (S3Object o : client.listObjectsV2Paginator(r -> r.bucket(settings.bucket()).prefix(full(prefix))
                    .maxKeys(1000)).contents()) {
                String key = o.key().substring(root.length());
                if (ours(key)) {
                    found.add(new ObjectInfo(key, o.size(), o.lastModified()));
                }
            }
        } catch (SdkException e) {
            throw S3Failures.of("listing", prefix.isEmpty() ? "(all)" : prefix, settings, e);
        }
        found.sort(Comparator.comparing(ObjectInfo::key));
        return found;
    }

    /** A key of an object: not the driver's own state, not a console's "folder" marker. */
    private static boolean ours(String key) {
        if (key.isEmpty() || key.endsWith("/")) {
            return false;
        }
        try {
            StorageKeys.check(key);
            return true;
        } catch (IllegalArgumentException e) {
            return false; // dot-segments (.locks, .pointers) and anything walden would never write
        }
    }

    @Override
    public ObjectWriter write(String key, WriteOption... options) throws IOException {
        StorageKeys.check(key);
        // NO_SYNC changes nothing here: S3 acknowledges only what it has stored
        return new S3ObjectWriter(this, key, settings.partBytes());
    }

    @Override
    public void sync(String key) throws IOException {
        if (stat(key).isEmpty()) {
            throw new NoSuchObjectException(describe(), key);
        }
        // an existing object was stored durably when its PUT or upload completed
    }

    @Override
    public boolean delete(String key) throws IOException {
        StorageKeys.check(key);
        if (stat(key).isPresent()) {
            deleteRaw(key);
            return true;
        }
        if (pointer(key).isPresent()) {
            deleteRaw(POINTERS + key);
            return true;
        }
        return false;
    }

    private void deleteRaw(String key) throws IOException {
        try {
            client.deleteObject(r -> r.bucket(settings.bucket()).key(full(key)));
        } catch (SdkException e) {
            throw S3Failures.of("DELETE", key, settings, e);
        }
    }

    /**
     * DeleteObjects, 1000 keys per request (S3's limit); any key the store refuses fails the call,
     * naming it. A store that answers DeleteObjects with 501 (some reject the checksum header the
     * SDK must send with it) gets single deletes from then on.
     */
    @Override
    public int deleteObjects(List<String> keys) throws IOException {
        int deleted = 0;
        for (int from = 0; from < keys.size(); from += 1000) {
            List<String> batch = keys.subList(from, Math.min(keys.size(), from + 1000));
            deleted += batchDeletes ? deleteBatch(batch) : deleteOneByOne(batch);
        }
        return deleted;
    }

    private int deleteBatch(List<String> keys) throws IOException {
        List<ObjectIdentifier> batch = keys.stream()
                .map(k -> ObjectIdentifier.builder().key(full(StorageKeys.check(k))).build()).toList();
        DeleteObjectsResponse response;
        try {
            response = client.deleteObjects(r -> r.bucket(settings.bucket()).delete(d -> d.objects(batch).quiet(false)));
        } catch (S3Exception e) {
            if (e.statusCode() == 501) {
                batchDeletes = false;
                return deleteOneByOne(keys);
            }
            throw batchFailure(keys, e);
        } catch (SdkException e) {
            // No answer after the SDK's retries: a flaky link, or a store that refuses DeleteObjects
            // before reading its body (S3Proxy's 501 then arrives as a broken pipe while the client
            // is still sending). Single deletes are idempotent and name the key that fails.
            try {
                return deleteOneByOne(keys);
            } catch (IOException single) {
                single.addSuppressed(batchFailure(keys, e));
                throw single;
            }
        }
        if (response.hasErrors() && !response.errors().isEmpty()) {
            S3Error first = response.errors().get(0);
            throw new IOException("S3 DELETE of '" + first.key().substring(root.length()) + "' in " + describe()
                    + " failed: " + first.code() + ": " + first.message() + " (" + response.errors().size()
                    + " of " + batch.size() + " keys in the batch failed)");
        }
        return response.deleted().size();
    }

    /** DeleteObject per key: idempotent, so no HEAD first; every key counts as deleted. */
    private int deleteOneByOne(List<String> keys) throws IOException {
        for (String key : keys) {
            deleteRaw(StorageKeys.check(key));
        }
        return keys.size();
    }

    private IOException batchFailure(List<String> keys, SdkException e) {
        return new IOException("S3 DELETE of " + keys.size() + " objects from '" + keys.get(0) + "' on in "
                + describe() + " failed: " + S3Failures.reason(e, settings), e);
    }

    /**
     * Aborts multipart uploads under the prefix that nobody is writing any more: not open in this
     * process, and with no part uploaded (or, without parts, not started) within
     * {@code olderThan}, so a long upload by another process (a large dump) that is still
     * sending parts is left alone. Only keys walden could have written are considered, so an
     * empty prefix never touches other tools' uploads in the bucket.
     */
    @Override
    public int removeAbandonedWrites(Duration olderThan) throws IOException {
        Instant before = Instant.now().minus(olderThan);
        int removed = 0;
        try {
            for (MultipartUpload u : client.listMultipartUploadsPaginator(r -> r.bucket(settings.bucket())
                    .prefix(root)).uploads()) {
                if (openUploads.contains(u.uploadId()) || !ours(u.key().substring(root.length()))) {
                    continue;
                }
                // ZERO means any age: the store's clock need not agree with ours to the millisecond
                if (olderThan.isZero() || lastActivity(u).map(t -> !t.isAfter(before)).orElse(false)) {
                    client.abortMultipartUpload(r -> r.bucket(settings.bucket()).key(u.key()).uploadId(u.uploadId()));
                    removed++;
                }
            }
        } catch (SdkException e) {
            throw S3Failures.of("cleaning up abandoned uploads", root.isEmpty() ? "(all)" : root, settings, e);
        }
        return removed;
    }

    /** When the upload last made progress: its newest part, else its start. */
    private Optional<Instant> lastActivity(MultipartUpload u) {
        Instant newest = u.initiated();
        for (Part part : client.listPartsPaginator(r -> r.bucket(settings.bucket()).key(u.key())
                .uploadId(u.uploadId())).parts()) {
            if (part.lastModified() != null && (newest == null || part.lastModified().isAfter(newest))) {
                newest = part.lastModified();
            }
        }
        return Optional.ofNullable(newest);
    }

    @Override
    public StorageLock lock(String name, String owner) throws IOException {
        if (!LOCK_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("invalid lock name '" + name + "'");
        }
        return S3Lease.take(this, name, owner);
    }

    @Override
    public void setPointer(String key, String target) throws IOException {
        StorageKeys.check(key);
        StorageKeys.check(target);
        byte[] body = target.getBytes(StandardCharsets.UTF_8);
        try {
            client.putObject(r -> encryption(r.bucket(settings.bucket()).key(full(POINTERS + key))),
                    RequestBody.fromBytes(body));
        } catch (SdkException e) {
            throw S3Failures.of("PUT of the pointer", key, settings, e);
        }
    }

    @Override
    public Optional<String> pointer(String key) throws IOException {
        StorageKeys.check(key);
        try {
            return Optional.of(client.getObjectAsBytes(r -> r.bucket(settings.bucket()).key(full(POINTERS + key)))
                    .asUtf8String().strip());
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        } catch (SdkException e) {
            throw S3Failures.of("GET of the pointer", key, settings, e);
        }
    }

    /** A part, and the half-size buffer it is copied from as it grows (S3ObjectWriter). */
    @Override
    public long writerMemoryBytes() {
        return settings.partBytes() * 3L / 2;
    }

    @Override
    public String describe() {
        return settings.describe();
    }

    Set<String> openUploads() {
        return openUploads;
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
        client.close();
        http.close(); // the SDK never closes a client it was given
    }
}
