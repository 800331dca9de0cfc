package dev.walden.storage.s3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.storage.ObjectInfo;
import dev.walden.storage.ObjectWriter;
import dev.walden.storage.Storage;
import dev.walden.storage.StorageContractTest;
import dev.walden.storage.HostName;
import dev.walden.storage.StorageLock;
import dev.walden.storage.StorageLockedException;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/** The storage contract against a real S3-protocol server, through the AWS SDK and real signatures. */
class S3StorageTest extends StorageContractTest {
    private static final AtomicInteger REPOSITORIES = new AtomicInteger();
    static S3TestServer server;

    @BeforeAll
    static void startServer() throws Exception {
        server = S3TestServer.start();
        server.createBucket("contract");
    }

    @AfterAll
    static void stopServer() throws Exception {
        server.close();
    }

    private String prefix;

    @Override
    protected Storage newStorage() throws IOException {
        // a fresh prefix per test: many repositories in one bucket, as in production
        prefix = "clusters/c" + REPOSITORIES.incrementAndGet();
        return S3Storage.open(S3Settings.of("contract", prefix, server.endpoint())
                .withPartBytes(S3Settings.MIN_PART_BYTES));
    }

    private static byte[] random(int n) {
        byte[] b = new byte[n];
        new Random(n).nextBytes(b);
        return b;
    }

    @Test
    void largeObjectsGoUpInPartsAndComeBackWhole() throws IOException {
        byte[] large = random(3 * S3Settings.MIN_PART_BYTES + 777);
        put("base/b1/data/base/1/16384", large);
        assertArrayEquals(large, get("base/b1/data/base/1/16384"));
        assertEquals(large.length, storage.stat("base/b1/data/base/1/16384").orElseThrow().size());
        try (S3Client c = server.client()) {
            assertEquals(List.of(), c.listMultipartUploads(r -> r.bucket("contract").prefix(prefix + "/")).uploads());
        }
    }

    @Test
    void anUploadClosedWithoutCommitIsAbortedAfterItsFirstParts() throws IOException {
        try (ObjectWriter w = storage.write("base/b1/abandoned")) {
            w.stream().write(random(2 * S3Settings.MIN_PART_BYTES + 1)); // two parts are up already
        }
        assertTrue(storage.stat("base/b1/abandoned").isEmpty());
        try (S3Client c = server.client()) {
            assertEquals(List.of(), c.listMultipartUploads(r -> r.bucket("contract").prefix(prefix + "/")).uploads());
        }
    }

    @Test
    void manyRepositoriesShareABucketWithoutSeeingEachOther() throws IOException {
        put("wal/x", "mine".getBytes());
        try (Storage other = S3Storage.open(S3Settings.of("contract", prefix + "-other", server.endpoint()))) {
            assertEquals(List.of(), other.list(""), "a prefix that merely starts like ours sees nothing of ours");
            try (ObjectWriter w = other.write("wal/x")) {
                w.stream().write("theirs".getBytes());
                w.commit();
            }
        }
        assertEquals(List.of("wal/x"), storage.list("").stream().map(ObjectInfo::key).toList());
        assertArrayEquals("mine".getBytes(), get("wal/x"));
    }

    @Test
    void listingPagesThroughThousandsOfObjectsInKeyOrder() throws Exception {
        int n = 2500; // three pages of 1000
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try (S3Client c = server.client()) {
            List<Future<?>> puts = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                String key = prefix + "/wal/0000000100000000/%024X".formatted(i);
                puts.add(pool.submit(() -> c.putObject(r -> r.bucket("contract").key(key), RequestBody.fromString("w"))));
            }
            for (Future<?> f : puts) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
        List<ObjectInfo> listed = storage.list("wal/0000000100000000/");
        assertEquals(n, listed.size());
        for (int i = 0; i < n; i++) {
            assertEquals("wal/0000000100000000/%024X".formatted(i), listed.get(i).key());
        }
        List<String> older = listed.subList(0, 2100).stream().map(ObjectInfo::key).toList();
        assertEquals(2100, storage.deleteObjects(older), "three batches");
        assertEquals(n - 2100, storage.list("wal/").size());
        assertEquals("wal/0000000100000000/%024X".formatted(2100), storage.list("wal/").get(0).key());
    }

    @Test
    void removeAbandonedWritesAbortsUploadsLeftByACrashedWriter() throws IOException {
        try (S3Client c = server.client()) {
            c.createMultipartUpload(r -> r.bucket("contract").key(prefix + "/base/b9/crashed"));
            // (S3Proxy reports every upload as initiated just now, so only "any age" can remove it here)
            assertEquals(0, storage.removeAbandonedWrites(Duration.ofHours(1)), "a recent upload may be in progress");
            assertEquals(1, storage.removeAbandonedWrites(Duration.ZERO));
            assertEquals(List.of(), c.listMultipartUploads(r -> r.bucket("contract").prefix(prefix + "/")).uploads());
        }
    }

    @Test
    void anUploadInProgressHereIsNeverTakenForAbandoned() throws IOException {
        byte[] large = random(S3Settings.MIN_PART_BYTES + 3);
        try (ObjectWriter w = storage.write("dumps/app/big.sql")) {
            w.stream().write(large); // the first part is up, the upload is open
            assertEquals(0, storage.removeAbandonedWrites(Duration.ZERO));
            w.commit();
        }
        assertArrayEquals(large, get("dumps/app/big.sql"));
    }

    @Test
    void aClosedWriterRefusesMoreWithAnIoError() throws IOException {
        ObjectWriter w = storage.write("wal/closed");
        w.close();
        IOException e = assertThrows(IOException.class, () -> w.stream().write(1));
        assertTrue(e.getMessage().contains("'wal/closed'") && e.getMessage().contains("closed"), e.getMessage());
        assertThrows(IOException.class, w::commit);
        assertTrue(storage.stat("wal/closed").isEmpty());
    }

    private void lease(String owner, long expiresMillis) {
        try (S3Client c = server.client()) {
            c.putObject(r -> r.bucket("contract").key(prefix + "/.locks/writer"),
                    RequestBody.fromString(owner + "\nsome-token\n" + expiresMillis + "\n"));
        }
    }

    @Test
    void aLeaseOfALiveHolderElsewhereIsRespectedUntilItExpires() throws IOException {
        lease("walden agent (pid 42 on another-host)", System.currentTimeMillis() + 60_000);
        StorageLockedException e = assertThrows(StorageLockedException.class,
                () -> storage.lock("writer", "walden agent (pid 1 on here)"));
        assertEquals("walden agent (pid 42 on another-host)", e.holder());

        lease("walden agent (pid 42 on another-host)", System.currentTimeMillis() - 1);
        storage.lock("writer", "walden agent (pid 1 on here)").close();
    }

    @Test
    void aLeaseOfADeadProcessOnThisHostIsTakenOverAtOnce() throws IOException {
        long dead = ProcessHandle.current().pid() + 4_000_000; // beyond any pid_max
        lease("walden agent (pid " + dead + " on " + HostName.get() + ")", System.currentTimeMillis() + 60_000);
        StorageLock held = storage.lock("writer", "walden agent (pid 1 on here)");
        assertThrows(StorageLockedException.class, () -> storage.lock("writer", "walden agent (pid 2 on here)"));
        held.close();
    }
}
