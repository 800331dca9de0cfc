package dev.walden.storage.s3;

import dev.walden.storage.ObjectInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Not a test: run by {@code bench/s3-listing.sh}. Fills a repository prefix on an in-process
 * S3Proxy with N WAL-like objects (plus a neighbouring cluster's), then times walden's listing
 * against the bare SDK paginator over the same prefix (the floor: same server, same pages), and
 * walden's batch delete of half of them.
 */
public final class S3ListingBench {
    private S3ListingBench() {
    }

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        try (S3TestServer server = S3TestServer.start(); S3Client raw = server.client()) {
            server.createBucket("bench");
            long filled = System.nanoTime();
            ExecutorService pool = Executors.newFixedThreadPool(32);
            List<Future<?>> puts = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                long segno = i;
                String key = "clusters/db1/wal/%08X%08X/%08X%08X%08X-0123abcd.zst".formatted(1, segno >> 8, 1,
                        segno >> 8, segno & 0xff);
                puts.add(pool.submit(() -> raw.putObject(r -> r.bucket("bench").key(key), RequestBody.fromString("w"))));
                if (i % 10 == 0) {
                    String other = "clusters/db2/wal/" + i;
                    puts.add(pool.submit(() -> raw.putObject(r -> r.bucket("bench").key(other),
                            RequestBody.fromString("o"))));
                }
            }
            for (Future<?> f : puts) {
                f.get();
            }
            pool.shutdown();
            System.out.printf("filled %d objects (+%d of another cluster) in %.1f s%n", n, n / 10,
                    (System.nanoTime() - filled) / 1e9);

            try (S3Storage storage = S3Storage.open(S3Settings.of("bench", "clusters/db1", server.endpoint()))) {
                for (int round = 1; round <= 3; round++) {
                    long t0 = System.nanoTime();
                    long count = 0;
                    for (S3Object o : raw.listObjectsV2Paginator(r -> r.bucket("bench").prefix("clusters/db1/wal/"))
                            .contents()) {
                        count += o.size() >= 0 ? 1 : 0;
                    }
                    long t1 = System.nanoTime();
                    List<ObjectInfo> listed = storage.list("wal/");
                    long t2 = System.nanoTime();
                    if (listed.size() != n || count != n) {
                        throw new IllegalStateException("listed " + listed.size() + " / " + count + " of " + n);
                    }
                    System.out.printf("round %d: list of %d objects: SDK paginator %.0f ms, walden list %.0f ms%n",
                            round, n, (t1 - t0) / 1e6, (t2 - t1) / 1e6);
                }
                List<String> half = storage.list("wal/").subList(0, n / 2).stream().map(ObjectInfo::key).toList();
                long t3 = System.nanoTime();
                int deleted = storage.deleteObjects(half);
                long t4 = System.nanoTime();
                System.out.printf("deleteObjects of %d: %.1f s (%s); %d left%n", deleted, (t4 - t3) / 1e9,
                        "S3Proxy answers DeleteObjects with 501: single deletes", storage.list("wal/").size());
            }
        }
    }
}
