package dev.walden.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's unit template as systemd reads it: {@code systemd-analyze verify} on an instance,
 * with the installed paths pointing at this build, must pass without a word (it exits 0 on an
 * option it ignores, but prints it).
 */
class SystemdUnitIT {
    private static final Path ANALYZE = Path.of("/usr/bin/systemd-analyze");

    @TempDir
    Path dir;

    @Test
    void theAgentUnitVerifiesCleanlyAndIsOrderedBeforeItsCluster() throws Exception {
        String unit = Files.readString(Installation.HOME.resolve("systemd/walden-agent@.service"));
        assertTrue(unit.contains("\nBefore=postgresql@%i.service\n"), "starts before, so stops after, its cluster");
        assertTrue(unit.contains("\nUser=postgres\n") && unit.contains("\nRuntimeDirectory=walden/%i\n"), unit);
        assumeTrue(Files.isExecutable(ANALYZE), "systemd-analyze is not installed here (.ci/run installs systemd)");
        Path instance = dir.resolve("walden-agent@15-main.service");
        Files.writeString(instance, unit
                .replace("/usr/bin/walden-push ", Installation.HOME.resolve("bin/walden-push") + " ")
                .replace("/usr/bin/walden ", Installation.HOME.resolve("bin/walden") + " "));
        Installation.Run verify = Installation.run(dir, ANALYZE.toString(), "verify", instance.toString());
        assertEquals(0, verify.exit(), verify.toString());
        assertEquals("", (verify.stdout() + verify.stderr()).lines()
                .filter(line -> line.contains("walden-agent@")).reduce("", (a, b) -> a + b + "\n"), verify.toString());
    }
}
