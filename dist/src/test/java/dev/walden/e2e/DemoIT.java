package dev.walden.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's first command: {@code walden demo} runs, tells the story, and cleans up after itself. */
class DemoIT {
    @TempDir
    Path dir;

    @Test
    void theDemoArchivesAndVerifiesAndLeavesNothingBehind() throws Exception {
        Installation.Run run = Installation.run(dir, Installation.HOME.resolve("bin/walden").toString(), "demo",
                "--segments", "3", "--pg-bin", Installation.pgBin().toString());
        assertEquals(0, run.exit(), run.toString());
        assertTrue(run.stdout().contains("PostgreSQL reports "), run.stdout());
        assertTrue(run.stdout().contains("0 failures"), run.stdout());
        Matcher files = Pattern.compile("(\\d+) files, [0-9.]+ MiB of WAL stored in").matcher(run.stdout());
        assertTrue(files.find(), run.stdout());
        assertTrue(Integer.parseInt(files.group(1)) >= 3, run.stdout());
        assertEquals(Integer.parseInt(files.group(1)), countMatches(run.stdout(), "identical to pg_wal"),
                run.stdout());
        Matcher workdir = Pattern.compile("working in (\\S+)").matcher(run.stdout());
        assertTrue(workdir.find());
        assertTrue(Files.notExists(Path.of(workdir.group(1))), "the demo removed its directory");
    }

    private static int countMatches(String text, String needle) {
        int count = 0;
        for (int i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) {
            count++;
        }
        return count;
    }
}
