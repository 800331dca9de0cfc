package dev.walden.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import picocli.CommandLine;
import org.junit.jupiter.api.Test;

/** Exit codes of the command line itself, before any command does its work. */
class WaldenCommandLineTest {
    private record Run(int exit, String err) {
    }

    private static Run run(String... args) {
        StringWriter err = new StringWriter();
        CommandLine cli = Walden.commandLine();
        cli.setErr(new PrintWriter(err));
        cli.setOut(new PrintWriter(new StringWriter()));
        return new Run(cli.execute(args), err.toString());
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
    void otherCommandsKeepTheUsualExitCodes() {
        assertEquals(0, run("fetch", "--help").exit());
        assertEquals(2, run("agent", "--no-such-option").exit());
        assertEquals(2, run("no-such-command").exit());
    }
}
