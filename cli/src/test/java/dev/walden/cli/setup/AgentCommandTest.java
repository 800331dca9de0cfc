package dev.walden.cli.setup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * What {@code walden agent --help} promises about the repository matches what the agent does
 * (AgentTest: an agent without a repository refuses to start and names 'walden init').
 */
class AgentCommandTest {
    @Test
    void helpSaysTheAgentNeedsWaldenInitAndNeverCreatesARepository() {
        CommandLine cli = new CommandLine(new AgentCommand());
        cli.getCommandSpec().usageMessage().width(200); // one line per paragraph: phrases aren't split
        String help = cli.getUsageMessage();
        assertTrue(help.contains("It needs the repository that 'walden init' made for the cluster in pgdata, and "
                + "never creates one itself"), help);
        assertFalse(help.contains("creates the repository"), help);
    }

    @Test
    void theUnitsArgumentsAreTakenWithoutTheCommandLineLibraryAndNothingElseIs() {
        assertEquals(Optional.of("/etc/walden/15-main.conf"), configOf("agent", "--config", "/etc/walden/15-main.conf"));
        assertEquals(Optional.of("/etc/walden/15-main.conf"), configOf("agent", "--config=/etc/walden/15-main.conf"));
        assertTrue(AgentCommand.asTheUnitRunsIt(new String[] {"agent"}).isPresent());
        assertNull(AgentCommand.asTheUnitRunsIt(new String[] {"agent"}).orElseThrow().config.file());
        for (String[] other : new String[][] {{}, {"list"}, {"agent", "--help"}, {"agent", "--config"}, {"agent", "--config="},
                {"agent", "--config", "--help"}, {"agent", "--config", "a.conf", "extra"}, {"agent", "-h"}}) {
            assertEquals(Optional.empty(), AgentCommand.asTheUnitRunsIt(other), String.join(" ", other));
        }
    }

    private static Optional<String> configOf(String... args) {
        return AgentCommand.asTheUnitRunsIt(args).map(a -> a.config.file());
    }
}
