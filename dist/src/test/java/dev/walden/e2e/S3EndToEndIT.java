package dev.walden.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.postgres.LocalCluster;
import dev.walden.storage.s3.S3TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The whole spine on an S3 repository: a real S3-protocol server in this JVM, walden's processes
 * reaching it through the AWS SDK with credentials from their environment (never the config
 * file), PostgreSQL archiving through walden-push and the agent, a base backup, verify, and a
 * point-in-time recovery that brings back exactly the rows committed before the target.
 */
class S3EndToEndIT {
    private static final Pattern CONNECT = Pattern.compile("connect: psql \"postgresql://\\S+@localhost:(\\d+)/");

    @TempDir
    Path dir;

    @Test
    void archiveBackUpVerifyAndRecoverToATimeThroughS3() throws Exception {
        try (S3TestServer s3 = S3TestServer.start()) {
            s3.createBucket("walden-e2e");
            Path clusterDir = dir.resolve("pg");
            try (Installation walden = new Installation(dir, clusterDir.resolve("data"));
                 LocalCluster cluster = walden.initCluster(clusterDir, Map.of())) {
                walden.environment(Map.of("AWS_ACCESS_KEY_ID", S3TestServer.ACCESS_KEY,
                        "AWS_SECRET_ACCESS_KEY", S3TestServer.SECRET_KEY));
                walden.configure("repository.type = s3", "repository.s3.bucket = walden-e2e",
                        "repository.s3.prefix = clusters/db1", "repository.s3.endpoint = " + s3.endpoint(),
                        "repository.s3.path_style = on");
                walden.connectTo(cluster);
                walden.init();
                walden.startAgent();
                cluster.start();
                cluster.execute("CREATE TABLE commits (id int PRIMARY KEY)");
                Installation.Run backup = walden.walden("backup", "--config", walden.config.toString());
                assertEquals(0, backup.exit(), backup.toString());

                String target = null;
                for (int k = 1; k <= 5; k++) {
                    cluster.execute("INSERT INTO commits VALUES (" + k + ")");
                    Thread.sleep(30);
                    if (k == 3) {
                        target = cluster.queryOne("SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', "
                                + "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')");
                        Thread.sleep(30);
                    }
                }
                List<String> last = Archiver.switchSegments(cluster, 1);
                Archiver.awaitArchived(cluster, last.get(0), Duration.ofSeconds(60));

                try (S3Client client = s3.client()) {
                    List<String> keys = client.listObjectsV2Paginator(r -> r.bucket("walden-e2e")).contents().stream()
                            .map(S3Object::key).toList();
                    assertTrue(keys.stream().anyMatch(k -> k.startsWith("clusters/db1/wal/0000000100000000/"
                            + last.get(0) + "-")), keys.size() + " objects");
                    assertTrue(keys.stream().anyMatch(k -> k.startsWith("clusters/db1/backups/") && k.endsWith(
                            "/manifest.json")), "a finished base backup");
                    assertTrue(keys.stream().allMatch(k -> k.startsWith("clusters/db1/")), "all under the prefix");
                }
                assertFalse(Files.exists(walden.repository), "nothing written to a local repository");

                Installation.Run verify = walden.walden("verify", "--config", walden.config.toString());
                assertEquals(0, verify.exit(), verify.toString());

                Path pgdata = dir.resolve("recovered");
                Installation.Run recover = walden.walden("recover", "--config", walden.config.toString(), "--pgdata",
                        pgdata.toString(), "--target-time", target);
                try {
                    assertEquals(0, recover.exit(), recover.toString());
                    Matcher m = CONNECT.matcher(recover.stdout());
                    assertTrue(m.find(), recover.stdout());
                    try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + m.group(1)
                            + "/postgres?user=postgres"); Statement s = c.createStatement();
                         ResultSet rs = s.executeQuery("SELECT string_agg(id::text, ',' ORDER BY id) FROM commits")) {
                        rs.next();
                        assertEquals("1,2,3", rs.getString(1));
                    }
                } finally {
                    Installation.stopImmediately(cluster.bin(), pgdata);
                }
            }
        }
    }

    @Test
    void aMissingBucketAndMissingCredentialsAreOneLineErrorsThatSayWhatToCheck() throws Exception {
        try (S3TestServer s3 = S3TestServer.start()) {
            try (Installation walden = new Installation(dir, dir.resolve("pg/data"))) {
                walden.configure("repository.type = s3", "repository.s3.bucket = no-such-bucket",
                        "repository.s3.endpoint = " + s3.endpoint(), "repository.s3.path_style = on");
                walden.environment(Map.of("AWS_ACCESS_KEY_ID", S3TestServer.ACCESS_KEY,
                        "AWS_SECRET_ACCESS_KEY", S3TestServer.SECRET_KEY));
                Installation.Run list = walden.walden("list", "--config", walden.config.toString());
                assertEquals(1, list.stderr().strip().lines().count(), list.toString());
                assertTrue(list.stderr().contains("bucket 'no-such-bucket' does not exist"), list.toString());

                walden.environment(Map.of("AWS_ACCESS_KEY_ID", S3TestServer.ACCESS_KEY,
                        "AWS_SECRET_ACCESS_KEY", "wrong"));
                s3.createBucket("no-such-bucket");
                Installation.Run denied = walden.walden("list", "--config", walden.config.toString());
                assertEquals(1, denied.stderr().strip().lines().count(), denied.toString());
                assertTrue(denied.stderr().contains("S3 check of the bucket of 'no-such-bucket'"), denied.toString());
                assertTrue(denied.stderr().contains("check"), denied.toString());
            }
        }
    }
}
