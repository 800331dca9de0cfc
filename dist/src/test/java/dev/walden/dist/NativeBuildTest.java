package dev.walden.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * native/build.sh, the build step of walden-native: what it can't build fails the build at once,
 * naming what is missing and how to get it, instead of a distribution without the native client
 * or the archive module failing the end-to-end tests minutes later.
 */
class NativeBuildTest {
    private static final Path BUILD = Path.of("../native/build.sh").toAbsolutePath();

    @TempDir
    Path out;

    record Result(int exit, String output) {
    }

    private Result build(Map<String, String> env, String... args) throws IOException, InterruptedException {
        List<String> command = new java.util.ArrayList<>(List.of("bash", BUILD.toString(), out.toString(), "test"));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().keySet().removeIf(k -> k.startsWith("WALDEN_NATIVE"));
        builder.environment().putAll(env);
        Path log = out.resolveSibling(out.getFileName() + ".log");
        Process p = builder.redirectOutput(log.toFile()).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("native/build.sh did not finish within 120 s");
        }
        return new Result(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
    }

    @Test
    void withoutACompilerTheBuildFailsAndSaysWhatToInstall() throws Exception {
        Result r = build(Map.of("CC", "/nonexistent/cc"));
        assertEquals(1, r.exit(), r.output());
        assertTrue(r.output().contains("walden-native: no C compiler ('/nonexistent/cc'): the native walden-push and "
                + "the walden_archive module can't be built (Debian: apt-get install gcc libc6-dev)"), r.output());
        assertTrue(r.output().contains("WALDEN_NATIVE=off builds walden without its native parts"), r.output());
        assertFalse(Files.exists(out.resolve("bin/walden-push")));
    }

    @Test
    void aMajorAskedForWhoseHeadersAreMissingFailsTheBuildNamingIt() throws Exception {
        Result r = build(Map.of(), "15,99");
        assertEquals(1, r.exit(), r.output());
        assertTrue(r.output().contains("walden-native: no walden_archive module for PostgreSQL 99 (asked for: 15,99): "
                + "its server headers are not in"), r.output());
        assertTrue(r.output().contains("apt-get install postgresql-server-dev-99, or as root "
                + "native/pg-server-headers.sh 99"), r.output());
        // the ones the tests need were built: only the missing major is the problem
        assertTrue(Files.isRegularFile(out.resolve("lib/postgresql/15/walden_archive.so")), r.output());
    }

    @Test
    void theMajorsTheTestsNeedAreBuiltAndAnOptOutBuildsNothing() throws Exception {
        Result r = build(Map.of(), "15,17");
        assertEquals(0, r.exit(), r.output());
        assertTrue(Files.isExecutable(out.resolve("bin/walden-push")), r.output());
        assertTrue(Files.isRegularFile(out.resolve("lib/postgresql/17/walden_archive.so")), r.output());

        Result off = build(Map.of("WALDEN_NATIVE", "off"));
        assertEquals(0, off.exit(), off.output());
        assertTrue(off.output().contains("WALDEN_NATIVE=off"), off.output());
        assertFalse(Files.exists(out.resolve("bin/walden-push")), "the previous build's output was removed");
    }

    @Test
    void aMisspeltValueIsRefused() throws Exception {
        Result r = build(Map.of("WALDEN_NATIVE", "no"));
        assertEquals(1, r.exit(), r.output());
        assertTrue(r.output().contains("WALDEN_NATIVE must be on or off, not 'no'"), r.output());
    }
}
