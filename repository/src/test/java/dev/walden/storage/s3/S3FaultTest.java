package dev.walden.storage.s3;

import static dev.walden.storage.s3.FaultyHttpClient.completion;
import static dev.walden.storage.s3.FaultyHttpClient.method;
import static dev.walden.storage.s3.FaultyHttpClient.part;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.storage.ObjectWriter;
import dev.walden.storage.s3.FaultyHttpClient.Fault;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.MultipartUpload;

/**
 * The S3 driver against a real S3-protocol server with faults injected between them. In every
 * case: nothing is acknowledged that is not stored, nothing partial appears under a final name,
 * and writing works again once the store recovers.
 */
class S3FaultTest {
    private static final AtomicInteger REPOSITORIES = new AtomicInteger();
    private static final int PART = S3Settings.MIN_PART_BYTES;
    static S3TestServer server;

    private FaultyHttpClient http;
    private S3Storage storage;
    private String prefix;

    @BeforeAll
    static void startServer() throws Exception {
        server = S3TestServer.start();
        server.createBucket("faults");
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    @BeforeEach
    void open() throws IOException {
        prefix = "clusters/f" + REPOSITORIES.incrementAndGet();
        // generous for a loaded CI machine: only the stall test wants a short timeout
        open(Duration.ofSeconds(10));
    }

    private void open(Duration timeout) throws IOException {
        http = new FaultyHttpClient();
        storage = S3Storage.open(S3Settings.of("faults", prefix, server.endpoint()).withTimeout(timeout, 3)
                .withPartBytes(PART), http);
    }

    @AfterEach
    void close() {
        storage.close(); // closes the HTTP client too
    }

    private static byte[] bytes(int n, int seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private void put(String key, byte[] content) throws IOException {
        try (ObjectWriter w = storage.write(key)) {
            w.stream().write(content);
            w.commit();
        }
    }

    private byte[] get(String key) throws IOException {
        try (InputStream in = storage.read(key)) {
            return in.readAllBytes();
        }
    }

    private List<MultipartUpload> uploads() {
        try (S3Client c = server.client()) {
            return c.listMultipartUploads(r -> r.bucket("faults").prefix(prefix + "/")).uploads();
        }
    }

    /** After a failure: the key is absent, and a write of it succeeds once the store is healthy. */
    private void assertNothingVisibleThenRecovers(String key, byte[] content) throws IOException {
        assertTrue(storage.stat(key).isEmpty(), "nothing under the final name after a failed write");
        assertTrue(storage.list("").isEmpty(), "nothing partial listed");
        assertEquals(List.of(), uploads(), "no multipart upload left behind");
        http.heal();
        put(key, content);
        assertArrayEquals(content, get(key));
    }

    @Test
    void a503IsRetriedAndTheObjectIsStored() throws IOException {
        http.inject(method("PUT"), Fault.STATUS_503, 2);
        byte[] content = bytes(100_000, 1);
        put("wal/a", content);
        assertArrayEquals(content, get("wal/a"));
        assertEquals(3, http.count(r -> r.startsWith("PUT ")), http.requests().toString());
    }

    @Test
    void aStoreThatKeepsFailingIsReportedAfterTheLastAttemptAndNothingIsVisible() throws IOException {
        http.inject(method("PUT"), Fault.STATUS_503, 100);
        byte[] content = bytes(1000, 2);
        IOException e = assertThrows(IOException.class, () -> put("wal/b", content));
        assertTrue(e.getMessage().contains("S3 PUT of 'wal/b' in s3://faults/" + prefix + " failed: 503 SlowDown "
                + "after 3 attempt(s)"), e.getMessage());
        assertEquals(3, http.count(r -> r.startsWith("PUT ")));
        assertNothingVisibleThenRecovers("wal/b", content);
    }

    @Test
    void aConnectionResetMidUploadIsRetriedFromTheStartOfTheBody() throws IOException {
        http.inject(method("PUT"), Fault.RESET_MID_BODY, 1);
        byte[] small = bytes(200_000, 3);
        put("wal/c", small);
        assertArrayEquals(small, get("wal/c"));

        http.inject(part(), Fault.RESET_MID_BODY, 2);
        byte[] large = bytes(2 * PART + 12_345, 4);
        put("base/large", large);
        assertArrayEquals(large, get("base/large"));
        assertEquals(3 + 2, http.count(r -> r.startsWith("PUT ") && r.contains("partNumber")),
                "three parts, two of them sent twice: " + http.requests());
        assertEquals(List.of(), uploads());
    }

    @Test
    void aResetOnEveryAttemptFailsWithNothingVisible() throws IOException {
        http.inject(part(), Fault.RESET_MID_BODY, 100);
        byte[] large = bytes(PART + 1, 5);
        IOException e = assertThrows(IOException.class, () -> put("base/reset", large));
        assertTrue(e.getMessage().startsWith("S3 upload of part 1 of 'base/reset'"), e.getMessage());
        assertNothingVisibleThenRecovers("base/reset", large);
    }

    @Test
    void aStallLongerThanTheTimeoutFailsInBoundedTimeNotForever() throws IOException {
        close();
        open(Duration.ofSeconds(1));
        http.inject(method("PUT"), Fault.STALL, 100);
        byte[] content = bytes(5000, 6);
        IOException e = assertTimeoutPreemptively(Duration.ofSeconds(30),
                () -> assertThrows(IOException.class, () -> put("wal/d", content)));
        assertTrue(e.getMessage().contains("no answer within repository.s3.timeout (1 s) in 3 attempt(s)"),
                e.getMessage());
        assertNothingVisibleThenRecovers("wal/d", content);

        http.inject(method("GET"), Fault.STALL, 100);
        IOException read = assertTimeoutPreemptively(Duration.ofSeconds(30),
                () -> assertThrows(IOException.class, () -> get("wal/d")));
        assertTrue(read.getMessage().contains("S3 GET of 'wal/d'"), read.getMessage());
    }

    @Test
    void aFailingMultipartCompletionLeavesNoObjectAndNoUpload() throws IOException {
        http.inject(completion(), Fault.STATUS_500, 100);
        byte[] large = bytes(PART + 10, 7);
        IOException e = assertThrows(IOException.class, () -> put("base/e", large));
        assertTrue(e.getMessage().startsWith("S3 completion of the multipart upload of 'base/e'"), e.getMessage());
        assertNothingVisibleThenRecovers("base/e", large);
    }

    @Test
    void anErrorHiddenInA200CompletionIsNeverTakenForSuccess() throws IOException {
        http.inject(completion(), Fault.ERROR_IN_200, 100);
        byte[] large = bytes(PART + 10, 8);
        IOException e = assertThrows(IOException.class, () -> put("base/f", large));
        assertTrue(e.getMessage().contains("'base/f'"), e.getMessage());
        assertNothingVisibleThenRecovers("base/f", large);
    }

    @Test
    void permanentErrorsFailAtOnceSayingWhatToCheck() throws IOException {
        http.inject(method("PUT"), Fault.STATUS_403, 100);
        IOException e = assertThrows(IOException.class, () -> put("wal/g", bytes(10, 9)));
        assertTrue(e.getMessage().contains("access denied (403 AccessDenied): check that the IAM policy"),
                e.getMessage());
        assertEquals(1, http.count(r -> r.startsWith("PUT ")), "a 403 is not retried");
        assertNothingVisibleThenRecovers("wal/g", bytes(10, 9));
    }

    @Test
    void everyUploadCarriesContentMd5AndTheConfiguredEncryptionAndStorageClass() throws IOException {
        close();
        http = new FaultyHttpClient();
        S3Settings base = S3Settings.of("faults", prefix, server.endpoint()).withPartBytes(PART);
        storage = S3Storage.open(new S3Settings(base.bucket(), base.prefix(), base.region(), base.endpoint(), true,
                S3Settings.Encryption.KMS, java.util.Optional.of("alias/walden"), java.util.Optional.of("STANDARD_IA"),
                base.timeout(), base.attempts(), base.partBytes()), http);
        // S3Proxy refuses SSE-KMS; what matters here is what walden asked for
        assertThrows(IOException.class, () -> put("wal/small", bytes(1000, 10)));
        assertThrows(IOException.class, () -> put("base/large", bytes(PART + 1, 11)));
        List<String> uploads = http.requests().stream().filter(r -> r.startsWith("PUT ") || r.startsWith("POST ")
                && r.contains("?uploads")).toList();
        assertEquals(1, uploads.stream().filter(r -> r.startsWith("PUT /faults/" + prefix + "/wal/small")).count(),
                uploads.toString());
        assertEquals(1, uploads.stream().filter(r -> r.startsWith("POST /faults/" + prefix + "/base/large?uploads"))
                .count(), uploads.toString());
        for (String r : uploads) {
            if (r.startsWith("PUT ") && !r.contains("partNumber") || r.startsWith("POST ")) {
                assertTrue(r.contains("x-amz-server-side-encryption: aws:kms")
                        && r.contains("x-amz-server-side-encryption-aws-kms-key-id: alias/walden")
                        && r.contains("x-amz-storage-class: STANDARD_IA"), r);
            }
            if (r.startsWith("PUT ")) {
                assertTrue(r.contains("Content-MD5: "), r);
            }
        }
    }

    @Test
    void leasesAreCreatedAndRenewedOnlyWithConditionalWrites() throws IOException {
        storage.lock("writer", "walden agent (pid 1 on db1)").close();
        List<String> lockWrites = http.requests().stream().filter(r -> r.startsWith("PUT ") && r.contains(".locks"))
                .toList();
        assertEquals(1, lockWrites.size(), http.requests().toString());
        assertTrue(lockWrites.get(0).endsWith("If-None-Match: *"), lockWrites.toString());
    }

    @Test
    void aBatchDeleteThatNeverGetsAnAnswerFallsBackToSingleDeletes() throws IOException {
        List<String> keys = List.of("wal/0000000100000000/a", "wal/0000000100000000/b", "wal/0000000100000000/c");
        for (String key : keys) {
            try (ObjectWriter w = storage.write(key)) {
                w.stream().write(1);
                w.commit();
            }
        }
        // DeleteObjects is a POST (?delete): its connection drops on every attempt, as S3Proxy's early 501 does
        http.inject(method("POST"), Fault.RESET_MID_BODY, 100);
        assertEquals(3, storage.deleteObjects(keys));
        assertEquals(List.of(), storage.list("wal/"), "all three gone");
        assertTrue(http.count(r -> r.startsWith("DELETE ")) >= 3, "one DELETE per key: " + http.requests());
    }
}
