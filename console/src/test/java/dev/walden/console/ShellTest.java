package dev.walden.console;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A quoted word, pasted into a real shell, comes back exactly. */
class ShellTest {
    private static String echoedBySh(String quoted) throws Exception {
        Process sh = new ProcessBuilder("/bin/sh", "-c", "printf '%s' " + quoted).redirectErrorStream(true).start();
        String out = new String(sh.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        sh.waitFor(30, TimeUnit.SECONDS);
        assertEquals(0, sh.exitValue(), out);
        return out;
    }

    @Test
    void everyWordSurvivesTheShell() throws Exception {
        for (String word : List.of("postgresql://app@localhost:5432/shop?host=/tmp/x", "it's", "say \"hi\"",
                "$HOME and `id`", "back\\slash", "bang!", "a  b\ttab", "", "'", "'\"'$!")) {
            assertEquals(word, echoedBySh(Shell.quote(word)), Shell.quote(word));
        }
    }

    @Test
    void aPlainConnectionStringIsInDoubleQuotes() {
        assertEquals("\"postgresql://app@localhost:5432/shop?host=/tmp/x\"",
                Shell.quote("postgresql://app@localhost:5432/shop?host=/tmp/x"));
        assertEquals("\"it's\"", Shell.quote("it's"));
        assertEquals("'say \"$HOME\"'", Shell.quote("say \"$HOME\""));
        assertEquals("'it'\\''s $HOME'", Shell.quote("it's $HOME"));
    }
}
