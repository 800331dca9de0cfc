package dev.walden.cli.setup;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
}
