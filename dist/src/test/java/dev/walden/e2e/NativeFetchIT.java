package dev.walden.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.walden.postgres.LocalCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * bin/walden-fetch, the native restore_command, against the JVM's walden fetch on the same
 * repository and a real agent: the same bytes and the same exit codes (0 written, 1 not in the
 * archive, 200 a bad name, 202 a corrupt object), the agent doing the work (and reading ahead)
 * while it runs, and walden fetch taking over when it does not or won't write the path.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class NativeFetchIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    static Installation walden;
    static LocalCluster cluster;
    static List<String> segments;

    @BeforeAll
    static void archive() throws Exception {
        Path clusterDir = dir.resolve("pg");
        walden = new Installation(dir, clusterDir.resolve("data"));
        cluster = walden.initCluster(clusterDir, Map.of());
        walden.connectTo(cluster);
        walden.init();
        walden.startAgent();
        cluster.start();
        segments = Archiver.switchSegments(cluster, 8);
        Archiver.awaitArchived(cluster, segments.get(7), Duration.ofSeconds(60));
        Files.createDirectories(dir.resolve("replay/pg_wal"));
        Files.createDirectories(dir.resolve("jvm"));
    }

    @AfterAll
    static void stop() throws Exception {
        cluster.close();
        walden.close();
    }

    private static Installation.Run nativeFetch(String name, Path to) throws Exception {
        return Installation.run(dir, Installation.HOME.resolve("bin/walden-fetch").toString(), "--config",
                walden.config.toString(), name, to.toString());
    }

    private static Installation.Run jvmFetch(String name, Path to) throws Exception {
        return walden.walden("fetch", "--config", walden.config.toString(), name, to.toString());
    }

    private static JsonNode status() throws Exception {
        Installation.Run run = walden.walden("status", "--config", walden.config.toString(), "--json");
        assertEquals(0, run.exit(), run.toString());
        return JSON.readTree(run.stdout());
    }

    @Test
    @Order(1)
    void theAgentWritesTheSameBytesAsWaldenFetchAndReadsTheNextSegmentsAhead() throws Exception {
        assertTrue(Files.isSymbolicLink(Installation.HOME.resolve("bin/walden-fetch")), "the native client");
        Path recoveryXlog = dir.resolve("replay/pg_wal/RECOVERYXLOG");
        for (int i = 0; i < 3; i++) {
            Installation.Run fetched = nativeFetch(segments.get(i), recoveryXlog);
            assertEquals(0, fetched.exit(), fetched.toString());
            Path jvm = dir.resolve("jvm").resolve(segments.get(i));
            Installation.Run reference = jvmFetch(segments.get(i), jvm);
            assertEquals(0, reference.exit(), reference.toString());
            assertArrayEquals(Files.readAllBytes(jvm), Files.readAllBytes(recoveryXlog), segments.get(i));
        }
        JsonNode status = status();
        assertEquals("3", status.get("fetch_served").asText(), "served by the agent: " + status);
        assertEquals("2", status.get("fetch_served_ahead").asText(), "the 2nd and 3rd were read ahead: " + status);
        // the next four are waiting, complete, in the same directory, so serving them is a rename
        java.util.Set<Path> expected = new java.util.HashSet<>(List.of(recoveryXlog));
        for (int i = 3; i < 7; i++) {
            expected.add(dir.resolve("replay/pg_wal/.walden-ahead-" + segments.get(i)));
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        java.util.Set<Path> left;
        do {
            try (Stream<Path> list = Files.list(dir.resolve("replay/pg_wal"))) {
                left = new java.util.HashSet<>(list.toList());
            }
        } while (!left.equals(expected) && System.nanoTime() < deadline && sleep());
        assertEquals(expected, left, "the next four read ahead, and no temporary file");
        for (int i = 3; i < 7; i++) {
            Path jvm = dir.resolve("jvm").resolve(segments.get(i));
            assertEquals(0, jvmFetch(segments.get(i), jvm).exit());
            assertArrayEquals(Files.readAllBytes(jvm),
                    Files.readAllBytes(dir.resolve("replay/pg_wal/.walden-ahead-" + segments.get(i))), segments.get(i));
        }
    }

    private static boolean sleep() throws InterruptedException {
        Thread.sleep(50);
        return true;
    }

    @Test
    @Order(2)
    void exitCodesAreWaldenFetchsForAMissingFileAndABadName() throws Exception {
        String future = "00000001000000FF000000FE";
        Path to = dir.resolve("replay/pg_wal/RECOVERYXLOG");
        Files.deleteIfExists(to);
        assertEquals(1, nativeFetch(future, to).exit(), "not in the archive");
        assertEquals(1, jvmFetch(future, to).exit());
        assertFalse(Files.exists(to));
        Installation.Run badNative = nativeFetch("nonsense", to);
        Installation.Run badJvm = jvmFetch("nonsense", to);
        assertEquals(200, badNative.exit(), badNative.toString());
        assertEquals(200, badJvm.exit(), badJvm.toString());
        assertTrue(badNative.stderr().startsWith("walden fetch: ") && badNative.stderr().contains("nonsense"),
                badNative.stderr());
    }

    @Test
    @Order(3)
    void aCorruptObjectIsExit202ByBothNamingIt() throws Exception {
        String victim = segments.get(7); // not read ahead: the first test's reads ahead end at segments.get(6)
        Path object;
        try (Stream<Path> files = Files.walk(walden.repository.resolve("wal"))) {
            object = files.filter(p -> p.getFileName().toString().startsWith(victim + "-")).findFirst().orElseThrow();
        }
        byte[] original = Files.readAllBytes(object);
        byte[] damaged = original.clone();
        damaged[damaged.length / 2] ^= 0x5A;
        Files.write(object, damaged);
        try {
            Path to = dir.resolve("replay/pg_wal/RECOVERYXLOG");
            Installation.Run nativeRun = nativeFetch(victim, to);
            Installation.Run jvmRun = jvmFetch(victim, dir.resolve("jvm").resolve(victim));
            assertEquals(202, jvmRun.exit(), jvmRun.toString());
            assertEquals(202, nativeRun.exit(), nativeRun.toString());
            assertTrue(nativeRun.stderr().contains("[corrupt_object]"), nativeRun.stderr());
            assertFalse(Files.exists(dir.resolve("jvm").resolve(victim)), "nothing under the final name");
        } finally {
            Files.write(object, original);
        }
    }

    @Test
    @Order(4)
    void aPathTheAgentWontWriteAndAStoppedAgentAreLeftToWaldenFetch() throws Exception {
        Path elsewhere = Files.createDirectories(dir.resolve("elsewhere")).resolve("segment.copy");
        Installation.Run refused = nativeFetch(segments.get(4), elsewhere);
        assertEquals(0, refused.exit(), "walden fetch wrote it: " + refused);
        Path reference = dir.resolve("jvm").resolve(segments.get(4));
        assertEquals(0, jvmFetch(segments.get(4), reference).exit());
        assertArrayEquals(Files.readAllBytes(reference), Files.readAllBytes(elsewhere));

        walden.stopAgent();
        try (Stream<Path> list = Files.list(dir.resolve("replay/pg_wal"))) {
            assertEquals(List.of(), list.filter(p -> p.getFileName().toString().startsWith(".walden-ahead-")).toList(),
                    "a stopping agent deletes what it read ahead");
        }
        try {
            Path to = dir.resolve("replay/pg_wal/RECOVERYXLOG");
            Installation.Run withoutAgent = nativeFetch(segments.get(5), to);
            assertEquals(0, withoutAgent.exit(), withoutAgent.toString());
            Path jvm = dir.resolve("jvm").resolve(segments.get(5));
            assertEquals(0, jvmFetch(segments.get(5), jvm).exit());
            assertArrayEquals(Files.readAllBytes(jvm), Files.readAllBytes(to));
            assertEquals(1, nativeFetch("00000001000000FF000000FE", to).exit(), "still 1 for not archived");
        } finally {
            walden.startAgent();
        }
    }
}
