package dev.walden.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's first command: {@code walden demo} tells the whole story — archive, back up, lose
 * data, recover to the instant before — checks its own result, and cleans up after itself.
 */
class DemoIT {
    @TempDir
    Path dir;

    @Test
    void theDemoRecoversExactlyTheRowsBeforeTheInstantAndLeavesNothingBehind() throws Exception {
        Installation.Run run = Installation.run(dir, "env", "PGHOST=/nonexistent", "PGPORT=1",
                "DATABASE_URL=postgres://nobody@127.0.0.2:1/nowhere", "WALDEN_REPOSITORY_PATH=" + dir.resolve("elsewhere"),
                Installation.HOME.resolve("bin/walden").toString(), "demo", "--pg-bin", Installation.pgBin().toString());
        assertEquals(0, run.exit(), run.toString());
        String out = run.stdout();
        assertTrue(out.contains("0 failures)"), out);
        assertTrue(out.contains("base backup"), out);
        assertTrue(out.contains("production now has 0 orders"), out);
        assertTrue(out.contains(": healthy"), out);
        Matcher instant = Pattern.compile("remembering the instant (\\S+)").matcher(out);
        assertTrue(instant.find(), out);
        assertTrue(out.contains("walden recover --target-time " + instant.group(1)), out);
        assertTrue(out.contains("reached time "), out);
        for (int id = 1; id <= 6; id++) {
            assertTrue(Pattern.compile("\\]\\s+" + id + "  order " + id + " ").matcher(out).find(), "order " + id);
        }
        for (int id = 7; id <= 9; id++) {
            assertTrue(!Pattern.compile("\\]\\s+" + id + "  order " + id + " ").matcher(out).find(), "order " + id);
        }
        assertTrue(out.contains("exactly the 6 orders committed before the instant are back"), out);
        Matcher workdir = Pattern.compile("working in (\\S+)").matcher(out);
        assertTrue(workdir.find());
        assertTrue(Files.notExists(Path.of(workdir.group(1))), "the demo removed its directory");
        assertTrue(Files.notExists(dir.resolve("elsewhere")), "the environment can't point the demo elsewhere");
    }
}
