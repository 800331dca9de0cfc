package dev.walden.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.walden.postgres.LocalCluster;
import dev.walden.storage.s3.S3TestServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * An encrypted repository end to end, on both storages: archive, base backup, dump, point-in-time
 * recovery and restore with exact rows; every stored byte scanned for row contents and a role
 * name; tampering (a flipped byte, a truncation, a swapped object) and the wrong key refused in
 * one line; a key rotation whose PITR reads objects under two keys; and recovery of one object by
 * hand with {@code walden cat}, as docs/repository-format.md describes it.
 */
class EncryptedRepositoryIT {
    private static final Pattern CONNECT = Pattern.compile("connect: psql \"postgresql://\\S+@localhost:(\\d+)/");
    private static final ObjectMapper JSON = new ObjectMapper();
    /** In every row of the secret table and in a role's name: none of it may appear in the repository. */
    private static final String SECRET = "walden-secret-4f1c";
    private static final String ROLE = "walden_role_9d2e";

    @TempDir
    Path dir;

    private static String[] secretRows(int from, int to) {
        return new String[] {"INSERT INTO secrets SELECT g, '" + SECRET + "-' || g FROM generate_series(" + from + ", "
                + to + ") g"};
    }

    private static String now(LocalCluster cluster) throws Exception {
        return cluster.queryOne("SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', "
                + "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')");
    }

    private static Path keyFile(Path dir, String name, String hex) throws IOException {
        Path file = dir.resolve(name);
        Files.writeString(file, hex + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return file;
    }

    @Test
    void aPosixRepositoryWithAKeyFileHoldsNothingReadableAndRecoversRowForRow() throws Exception {
        Path clusterDir = dir.resolve("pg");
        Path key = keyFile(dir, "repo.key", "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
        try (Installation walden = new Installation(dir, clusterDir.resolve("data"));
             LocalCluster cluster = walden.initCluster(clusterDir, Map.of())) {
            walden.configure("repository.encryption = aes-256-gcm", "repository.encryption.key_file = " + key,
                    "dump.format = custom");
            walden.connectTo(cluster);
            walden.init();
            walden.startAgent();
            cluster.start();
            String config = walden.config.toString();
            cluster.execute("CREATE ROLE " + ROLE + " LOGIN PASSWORD 'role-password-1'",
                    "CREATE TABLE secrets (id int PRIMARY KEY, v text NOT NULL)");
            cluster.execute(secretRows(1, 2000));
            assertEquals(0, walden.walden("backup", "--config", config).exit());
            cluster.execute(secretRows(2001, 3000));
            String target = now(cluster);
            Thread.sleep(30);
            cluster.execute(secretRows(3001, 4000));
            Installation.Run dump = walden.walden("dump", "--config", config);
            assertEquals(0, dump.exit(), dump.toString());
            List<String> last = Archiver.switchSegments(cluster, 1);
            Archiver.awaitArchived(cluster, last.get(0), Duration.ofSeconds(60));

            // nothing readable: no row, no role name, and no plaintext SHA-256 in an object name
            Path segment = clusterDir.resolve("data/pg_wal").resolve(last.get(0));
            String segmentSha256 = sha256(Files.readAllBytes(segment));
            List<Path> objects;
            try (Stream<Path> files = Files.walk(walden.repository)) {
                objects = files.filter(Files::isRegularFile).toList();
            }
            assertTrue(objects.size() > 100, objects.size() + " objects");
            for (Path object : objects) {
                byte[] bytes = Files.readAllBytes(object);
                assertFalse(contains(bytes, SECRET), object + " holds row contents");
                assertFalse(contains(bytes, ROLE), object + " holds the role's name");
                assertFalse(object.toString().contains(segmentSha256), object + " names the segment's SHA-256");
            }
            assertFalse(contains(Files.readAllBytes(walden.repository.resolve("keyring.json")),
                    "00112233445566778899aabbccddeeff"), "the keyring holds no key in the clear");

            // the paths still work: list, verify, PITR, restore, expire
            Installation.Run list = walden.walden("list", "--config", config);
            assertEquals(0, list.exit(), list.toString());
            assertTrue(list.stdout().lines().findFirst().orElseThrow().endsWith(", encrypted (aes-256-gcm)"),
                    list.stdout());
            Installation.Run verify = walden.walden("verify", "--config", config, "--json");
            assertEquals(0, verify.exit(), verify.toString());
            JsonNode keys = JSON.readTree(verify.stdout()).get("keys");
            assertEquals(1, keys.size(), verify.stdout());
            assertTrue(keys.get(0).get("objects").asLong() > 100, verify.stdout());

            assertEquals(List.of("3000"), recoverAndCount(walden, cluster, "recovered", "--target-time", target));

            Path spool = Files.createDirectory(dir.resolve("spool"));
            Installation.Run restore = walden.walden("restore", "--config", config, "latest", "-d", "secrets_copy",
                    "--jobs", "2", "--spool-dir", spool.toString());
            assertEquals(0, restore.exit(), restore.toString());
            assertTrue(restore.stdout().contains("--jobs 2 ignored: an encrypted dump is streamed into pg_restore"),
                    restore.stdout());
            try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + cluster.port()
                    + "/secrets_copy?user=postgres"); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT count(*) FROM secrets")) {
                rs.next();
                assertEquals(4000, rs.getLong(1));
            }
            try (Stream<Path> spooled = Files.list(spool)) {
                assertEquals(0, spooled.count(), "no plaintext spooled");
            }
            assertEquals(0, walden.walden("expire", "--config", config).exit());

            // recovery by hand, as docs/repository-format.md describes it: walden cat, then zstd -d
            Path wal = objects.stream().filter(p -> p.getFileName().toString().startsWith(last.get(0) + "-"))
                    .findFirst().orElseThrow();
            Installation.Run cat = Installation.run(dir, Installation.HOME.resolve("bin/walden").toString(), "cat",
                    "--key-file", key.toString(), "-o", dir.resolve("segment.zst").toString(), wal.toString());
            assertEquals(0, cat.exit(), cat.toString());
            Installation.Run zstd = Installation.run(dir, "zstd", "-d", "-q", "-o", dir.resolve("segment").toString(),
                    dir.resolve("segment.zst").toString());
            assertEquals(0, zstd.exit(), zstd.toString());
            assertEquals(segmentSha256, sha256(Files.readAllBytes(dir.resolve("segment"))));

            // tampering, each named in one line: a flipped byte, a truncation, an object swapped with another
            byte[] original = Files.readAllBytes(wal);
            byte[] flipped = original.clone();
            flipped[flipped.length / 2] ^= 0x01;
            Files.write(wal, flipped);
            assertFetchRefuses(walden, last.get(0), wal);
            Files.write(wal, java.util.Arrays.copyOf(original, original.length - 100));
            assertFetchRefuses(walden, last.get(0), wal);
            // another segment's object that expiry left in place
            Path other = objects.stream().filter(p -> p.toString().contains("/wal/") && !p.equals(wal)
                    && Files.exists(p) && p.getFileName().toString().matches("[0-9A-F]{24}-.*")).findFirst()
                    .orElseThrow();
            Files.copy(other, wal, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            assertFetchRefuses(walden, last.get(0), wal);
            Installation.Run damaged = walden.walden("verify", "--config", config);
            assertEquals(1, damaged.exit(), damaged.toString());
            assertTrue(damaged.stdout().contains("CORRUPT: WAL object '" + walden.repository.relativize(wal)),
                    damaged.stdout());
            Files.write(wal, original);

            // the wrong key, and a configuration that doesn't say "encrypted": one line each, nothing read
            Path wrong = keyFile(dir, "wrong.key", "ff112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
            Files.writeString(walden.config, Files.readString(walden.config).replace(key.toString(), wrong.toString()));
            Installation.Run wrongKey = walden.walden("list", "--config", config);
            assertEquals(1, wrongKey.exit(), wrongKey.toString());
            assertEquals(1, wrongKey.stderr().strip().lines().count(), wrongKey.toString());
            assertTrue(wrongKey.stderr().contains("key file " + wrong + " does not open the keys of posix:"),
                    wrongKey.toString());
            Files.writeString(walden.config, Files.readString(walden.config).replace(wrong.toString(), key.toString()));

            // the same keys protected by a new key file: the old one no longer opens the repository
            Path newKey = keyFile(dir, "new.key", "aa112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
            Installation.Run protect = walden.walden("key", "protect", "--config", config, "--new-key-file",
                    newKey.toString());
            assertEquals(0, protect.exit(), protect.toString());
            assertTrue(protect.stdout().contains("are now protected by a key file"), protect.toString());
            Installation.Run oldKey = walden.walden("list", "--config", config);
            assertEquals(1, oldKey.exit(), oldKey.toString());
            Files.writeString(walden.config, Files.readString(walden.config).replace(key.toString(),
                    newKey.toString()));
            Installation.Run verifyNew = walden.walden("verify", "--config", config);
            assertEquals(0, verifyNew.exit(), verifyNew.toString());
            assertEquals(0, Installation.run(dir, Installation.HOME.resolve("bin/walden").toString(), "cat",
                    "--key-file", newKey.toString(), "-o", dir.resolve("again.zst").toString(), wal.toString()).exit());

            Files.writeString(walden.config, Files.readString(walden.config)
                    .replace("repository.encryption = aes-256-gcm", "repository.encryption = none"));
            Installation.Run plain = walden.walden("list", "--config", config);
            assertEquals(1, plain.exit(), plain.toString());
            assertTrue(plain.stderr().contains("is encrypted (aes-256-gcm), but repository.encryption is none"),
                    plain.toString());
        }
    }

    @Test
    void anS3RepositoryWithAPassphraseRecoversAcrossAKeyRotationAndRewrapsTheRetiredKey() throws Exception {
        try (S3TestServer s3 = S3TestServer.start()) {
            s3.createBucket("walden-enc");
            Path clusterDir = dir.resolve("pg");
            try (Installation walden = new Installation(dir, clusterDir.resolve("data"));
                 LocalCluster cluster = walden.initCluster(clusterDir, Map.of())) {
                walden.environment(Map.of("AWS_ACCESS_KEY_ID", S3TestServer.ACCESS_KEY,
                        "AWS_SECRET_ACCESS_KEY", S3TestServer.SECRET_KEY,
                        "WALDEN_REPOSITORY_PASSPHRASE", "correct horse battery staple"));
                walden.configure("repository.type = s3", "repository.s3.bucket = walden-enc",
                        "repository.s3.prefix = clusters/db1", "repository.s3.endpoint = " + s3.endpoint(),
                        "repository.s3.path_style = on", "repository.encryption = aes-256-gcm");
                walden.connectTo(cluster);
                walden.init();
                walden.startAgent();
                cluster.start();
                String config = walden.config.toString();
                cluster.execute("CREATE ROLE " + ROLE + " LOGIN PASSWORD 'role-password-2'",
                        "CREATE TABLE secrets (id int PRIMARY KEY, v text NOT NULL)");
                cluster.execute(secretRows(1, 100));
                assertEquals(0, walden.walden("backup", "--config", config).exit());
                Archiver.awaitArchived(cluster, Archiver.switchSegments(cluster, 1).get(0), Duration.ofSeconds(60));

                Installation.Run add = walden.walden("key", "add", "--config", config);
                assertEquals(0, add.exit(), add.toString());
                assertTrue(add.stdout().startsWith("added key 2 to s3://walden-enc/clusters/db1"), add.toString());
                assertEquals(0, walden.stopAgent());
                walden.startAgent();
                cluster.execute(secretRows(101, 200));
                String target = now(cluster);
                Thread.sleep(30);
                cluster.execute(secretRows(201, 300));
                Archiver.awaitArchived(cluster, Archiver.switchSegments(cluster, 1).get(0), Duration.ofSeconds(60));
                Installation.Run retire = walden.walden("key", "retire", "1", "--config", config);
                assertEquals(0, retire.exit(), retire.toString());
                Installation.Run keys = walden.walden("key", "list", "--config", config);
                assertTrue(keys.stdout().contains("protected by a passphrase (WALDEN_REPOSITORY_PASSPHRASE)"),
                        keys.toString());
                assertTrue(keys.stdout().lines().anyMatch(l -> l.startsWith("2 ") && l.contains("current")),
                        keys.stdout());

                // objects under both keys, read in one PITR: the backup under key 1, the newest WAL under key 2
                Installation.Run verify = walden.walden("verify", "--config", config);
                assertEquals(0, verify.exit(), verify.toString());
                assertTrue(verify.stdout().lines().anyMatch(l -> l.startsWith("KEY: key 1 (retired): ")
                        && l.contains("'walden key rewrap' re-encrypts them")), verify.stdout());
                assertTrue(verify.stdout().lines().anyMatch(l -> l.startsWith("KEY: key 2: ")), verify.stdout());
                assertEquals(List.of("200"), recoverAndCount(walden, cluster, "recovered", "--target-time", target));

                Installation.Run rewrap = walden.walden("key", "rewrap", "--config", config);
                assertEquals(0, rewrap.exit(), rewrap.toString());
                Installation.Run after = walden.walden("verify", "--config", config, "--json");
                assertEquals(0, after.exit(), after.toString());
                JsonNode first = JSON.readTree(after.stdout()).get("keys").get(0);
                assertEquals(1, first.get("id").asInt());
                assertEquals(0, first.get("objects").asLong(), after.stdout());

                try (S3Client client = s3.client()) {
                    List<S3Object> stored = client.listObjectsV2Paginator(r -> r.bucket("walden-enc")).contents()
                            .stream().toList();
                    assertTrue(stored.size() > 100, stored.size() + " objects");
                    for (S3Object object : stored) {
                        byte[] bytes = client.getObjectAsBytes(r -> r.bucket("walden-enc").key(object.key()))
                                .asByteArray();
                        assertFalse(contains(bytes, SECRET), object.key() + " holds row contents");
                        assertFalse(contains(bytes, ROLE), object.key() + " holds the role's name");
                    }
                    // a plaintext object slipped into the repository is refused, not read
                    String manifest = stored.stream().map(S3Object::key).filter(k -> k.endsWith("/manifest.json"))
                            .findFirst().orElseThrow();
                    client.putObject(r -> r.bucket("walden-enc").key(manifest), RequestBody.fromString("{}"));
                }
                Installation.Run list = walden.walden("list", "--config", config);
                assertTrue(list.stdout().contains("is not an encrypted walden object")
                        || list.stderr().contains("is not an encrypted walden object"), list.toString());
            }
        }
    }

    /** walden fetch of the damaged object: exit 2 (not 1, "not archived"), one line naming the object. */
    private static void assertFetchRefuses(Installation walden, String segment, Path object) throws Exception {
        Installation.Run fetch = walden.walden("fetch", "--config", walden.config.toString(), segment,
                walden.dir.resolve("fetched").toString());
        assertTrue(fetch.exit() > 1, fetch.toString());
        assertEquals(1, fetch.stderr().strip().lines().count(), fetch.toString());
        assertTrue(fetch.stderr().contains(walden.repository.relativize(object).toString()), fetch.toString());
        assertFalse(Files.exists(walden.dir.resolve("fetched")), "nothing under the name PostgreSQL asked for");
    }

    /** Recovers into a new directory, counts the rows, stops the copy. */
    private List<String> recoverAndCount(Installation walden, LocalCluster cluster, String name, String... target)
            throws Exception {
        Path pgdata = dir.resolve(name);
        List<String> args = new ArrayList<>(List.of("recover", "--config", walden.config.toString(), "--pgdata",
                pgdata.toString()));
        args.addAll(List.of(target));
        Installation.Run recover = walden.walden(args.toArray(String[]::new));
        try {
            assertEquals(0, recover.exit(), recover.toString());
            Matcher m = CONNECT.matcher(recover.stdout());
            assertTrue(m.find(), recover.stdout());
            try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + m.group(1)
                    + "/postgres?user=postgres"); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT count(*), count(*) FILTER (WHERE v = '" + SECRET
                         + "-' || id) FROM secrets")) {
                rs.next();
                assertEquals(rs.getLong(1), rs.getLong(2), "every row as written");
                return List.of(rs.getString(1));
            }
        } finally {
            Installation.stopImmediately(cluster.bin(), pgdata);
        }
    }

    private static boolean contains(byte[] haystack, String needle) {
        byte[] n = needle.getBytes(StandardCharsets.UTF_8);
        outer:
        for (int i = 0; i + n.length <= haystack.length; i++) {
            for (int j = 0; j < n.length; j++) {
                if (haystack[i + j] != n[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
