package dev.walden.cli.recovery;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** What {@code walden recover --help} shows, as picocli renders it at its usual 80 columns. */
class RecoverCommandTest {
    @Test
    void valuesAnOperatorCopiesAreNeverSplitByTheWrapping() {
        String help = new CommandLine(new RecoverCommand()).getUsageMessage(CommandLine.Help.Ansi.OFF);
        for (String value : new String[] {"2026-11-24T14:05:00+01:00", "<pgdata>/../walden-recovered-<yyyyMMdd-HHmmss>",
                "<pgdata>.tablespaces/<oid>", "/etc/walden/walden.conf", "0/3A000148"}) {
            assertTrue(help.contains(value), "'" + value + "' is split or missing:\n" + help);
        }
        assertTrue(help.lines().allMatch(l -> l.length() <= 80), help);
        // the default data directory is not relative to wherever walden runs
        assertFalse(help.contains(" ./walden-recovered") || help.contains("default: ./"), help);
    }
}
