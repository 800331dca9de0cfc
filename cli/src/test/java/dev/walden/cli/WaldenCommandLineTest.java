package dev.walden.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Exit codes of the command line itself, before any command does its work. */
class WaldenCommandLineTest {
    private record Run(int exit, String err) {
    }

    /** Runs the arguments on the command line main() builds for them, and on the whole one: both must agree. */
    private static Run run(String... args) {
        Run narrowed = run(Walden.commandLine(args), args);
        Run whole = run(Walden.commandLine(), args);
        assertEquals(whole, narrowed, "the command line built for these arguments behaves as the whole one");
        return whole;
    }

    private static Run run(CommandLine cli, String... args) {
        StringWriter err = new StringWriter();
        cli.setErr(new PrintWriter(err));
        cli.setOut(new PrintWriter(new StringWriter()));
        return new Run(cli.execute(args), err.toString());
    }

    @Test
    void forTheFirstArgumentNamingASubcommandOnlyThatOneIsBuilt() {
        assertEquals(java.util.Set.of("agent"), Walden.commandLine(new String[] {"agent", "--help"}).getSubcommands().keySet());
        assertTrue(Walden.commandLine(new String[] {"help", "agent"}).getSubcommands().size() > 10, "help needs them all");
        assertTrue(Walden.commandLine(new String[] {"agnet"}).getSubcommands().size() > 10, "suggestions need them all");
        assertEquals(0, run("help", "agent").exit());
    }

    @Test
    void fetchNeverExitsBelow126ForAMistakeInItsArguments() {
        // PostgreSQL reads any exit from 1 to 125 as "not in the archive" and would end recovery
        assertEquals(200, run("fetch", "000000010000000000000001").exit(), "a missing %p");
        assertEquals(200, run("fetch", "--no-such-option", "000000010000000000000001", "pg_wal/RECOVERYXLOG").exit());
        assertEquals(200, run("fetch", "a", "b", "c").exit());
        Run help = run("fetch", "--help", "000000010000000000000001", "pg_wal/RECOVERYXLOG");
        assertEquals(200, help.exit(), "an exit 0 would claim the file was written");
        assertTrue(help.err().contains("nothing fetched"), help.err());
        assertEquals(200, run("fetch", "not-a-wal-name", "pg_wal/RECOVERYXLOG").exit());
    }

    @Test
    void aBadOptionValueIsOneLineNamingItAndTheHelp() {
        String[][] cases = {
            {"--target-time", "2026-11-24 14:05", "'2026-11-24 14:05' is not an ISO-8601 time with a zone"},
            {"--target-lsn", "0/XYZ", "--target-lsn:"},
            {"--target-xid", "abc", "'abc'"},
        };
        for (String[] c : cases) {
            Run run = run("recover", c[0], c[1]);
            assertEquals(2, run.exit(), run.err());
            assertEquals(1, run.err().lines().count(), "one line, no usage: " + run.err());
            assertTrue(run.err().startsWith("walden recover: "), run.err());
            assertTrue(run.err().contains(c[2]), run.err());
            assertTrue(run.err().strip().endsWith("(see 'walden recover --help')"), run.err());
        }
        for (String[] bad : new String[][] {{"--action", "stop"}, {"--timeout", "soon"},
                {"--target-timeline", "two"}}) {
            Run run = run("recover", "--latest", bad[0], bad[1]);
            assertEquals(2, run.exit(), run.err());
            assertEquals(1, run.err().lines().count(), run.err());
            assertTrue(run.err().contains(bad[0] + ": '" + bad[1] + "'"), run.err());
        }
    }

    @Test
    void aPortOutsideOneTo65535IsRefusedBeforeTheConfigIsRead() {
        for (String port : new String[] {"0", "70000", "-5"}) {
            // no config file exists here: the port is refused first, whatever else is wrong
            Run run = run("recover", "--config", "/nonexistent/walden.conf", "--latest", "--port", port);
            assertEquals(2, run.exit(), run.err());
            assertEquals("walden recover: --port: '" + port + "' is not a port number (1-65535) (see 'walden recover "
                    + "--help')\n", run.err());
        }
    }

    @Test
    void anUnknownOptionIsOneLineAndASuggestion() {
        Run run = run("recover", "--latest", "--prot", "5433");
        assertEquals(2, run.exit());
        assertTrue(run.err().startsWith("walden recover: unknown options: '--prot', '5433' (see 'walden recover "
                + "--help')\n"), run.err());
        assertTrue(run.err().lines().count() <= 3, "the line and picocli's suggestions, no usage: " + run.err());
    }

    @Test
    void otherCommandsKeepTheUsualExitCodes() {
        assertEquals(0, run("fetch", "--help").exit());
        assertEquals(2, run("agent", "--no-such-option").exit());
        assertEquals(2, run("no-such-command").exit());
    }
}
