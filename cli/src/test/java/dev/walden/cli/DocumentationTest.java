package dev.walden.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.cli.recovery.FetchCommand;
import dev.walden.config.ConfigKey;
import dev.walden.config.ConfigKeys;
import dev.walden.protocol.ErrorCode;
import dev.walden.push.WaldenPush;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Keeps README, docs/ and --help true to the code: each fact declared in code appears in the docs. */
class DocumentationTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    private static String read(String file) throws IOException {
        return Files.readString(ROOT.resolve(file));
    }

    @Test
    void everyConfigKeyAndItsVariableIsDocumented() throws IOException {
        String doc = read("docs/configuration.md");
        for (ConfigKey key : ConfigKeys.ALL) {
            assertTrue(doc.contains("| `" + key.name() + "` | `" + key.environmentVariable() + "` |"),
                    key + " is missing from the key table in docs/configuration.md");
        }
        for (String variable : ConfigKeys.RESERVED_ENVIRONMENT) {
            assertTrue(doc.contains("`" + variable + "`"), variable + " is missing from docs/configuration.md");
        }
        String example = read("dist/src/main/conf/walden.conf.example");
        for (ConfigKey key : ConfigKeys.ALL) {
            if (!key.name().equals("pg_bin")) {
                assertTrue(example.contains(key.name() + " ="), key + " is missing from walden.conf.example");
            }
        }
    }

    @Test
    void everyErrorCodeIsDocumentedWithItsNumber() throws IOException {
        String doc = read("docs/protocol.md");
        for (ErrorCode code : ErrorCode.values()) {
            assertTrue(doc.contains("| " + code.code() + " | `" + code.name().toLowerCase(Locale.ROOT) + "` |"),
                    code + " is missing from the error table in docs/protocol.md");
        }
    }

    @Test
    void pushAndFetchExitCodesAreDocumented() throws IOException {
        String push = read("docs/walden-push.md");
        for (int code : new int[] {WaldenPush.OK, WaldenPush.USAGE, WaldenPush.AGENT_NOT_RUNNING, WaldenPush.TIMEOUT,
                WaldenPush.REFUSED, WaldenPush.PROTOCOL_ERROR, WaldenPush.IO_ERROR}) {
            assertTrue(push.contains("\n| " + code + " |"), "walden-push exit " + code + " is not in docs/walden-push.md");
            assertTrue(code < 126, "PostgreSQL treats exits above 125 as fatal for the archiver");
        }
        String operations = read("docs/operations.md");
        for (int code : new int[] {0, FetchCommand.NOT_FOUND, FetchCommand.USAGE, FetchCommand.IO_ERROR,
                FetchCommand.CORRUPT}) {
            assertTrue(operations.contains("\n| " + code + " |"), "fetch exit " + code + " is not in docs/operations.md");
        }
    }

    @Test
    void theReadmeTestCommandIsWhatCiRuns() throws IOException {
        assertTrue(read("README.md").contains("./run-tests    # the whole test suite"));
        assertTrue(read(".ci/run").contains("exec ./run-tests"));
        assertTrue(read("run-tests").contains("mvn -B verify"));
    }

    @Test
    void helpListsEveryCommandTheReadmeMentions() {
        StringWriter out = new StringWriter();
        CommandLine cli = Walden.commandLine();
        cli.setOut(new PrintWriter(out));
        assertEquals(0, cli.execute("--help"));
        for (String command : new String[] {"init", "agent", "check", "backup", "dump", "expire", "list", "recover",
                "restore", "verify", "fetch", "status", "audit", "demo"}) {
            assertTrue(out.toString().contains("  " + command + " "), command + " missing from walden --help");
        }
        StringWriter fetchHelp = new StringWriter();
        cli.setOut(new PrintWriter(fetchHelp));
        cli.execute("fetch", "--help");
        assertTrue(fetchHelp.toString().contains("restore_command = 'walden fetch %f %p'"), fetchHelp.toString());
        assertTrue(fetchHelp.toString().contains("202"), fetchHelp.toString());
    }

    @Test
    void theRecoveryRunbookCoversEveryOptionOfTheRecoveryCommands() throws IOException {
        String runbook = read("docs/recovery.md");
        CommandLine cli = Walden.commandLine();
        for (String command : new String[] {"recover", "restore", "verify"}) {
            for (var option : cli.getSubcommands().get(command).getCommandSpec().options()) {
                if (option.usageHelp() || option.versionHelp() || option.longestName().equals("--config")) {
                    continue;
                }
                assertTrue(runbook.contains(option.longestName()), "walden " + command + " "
                        + option.longestName() + " is not in docs/recovery.md");
            }
        }
    }

    @Test
    void everyCommandsExitCodesAndJsonAreInTheCommandReference() throws IOException {
        String doc = read("docs/commands.md");
        CommandLine cli = Walden.commandLine();
        for (var entry : cli.getSubcommands().entrySet()) {
            if (entry.getKey().equals("help")) {
                continue;
            }
            String heading = "\n## walden " + entry.getKey() + "\n";
            int start = doc.indexOf(heading);
            assertTrue(start >= 0, "walden " + entry.getKey() + " has no section in docs/commands.md");
            int end = doc.indexOf("\n## ", start + heading.length());
            String section = doc.substring(start, end < 0 ? doc.length() : end);
            var spec = entry.getValue().getCommandSpec();
            var codes = spec.usageMessage().exitCodeList();
            assertTrue(!codes.isEmpty(), "walden " + entry.getKey() + " --help lists no exit codes");
            codes.forEach((code, meaning) -> assertTrue(section.contains("| " + code.strip() + " | " + meaning + " |"),
                    "walden " + entry.getKey() + " exit " + code.strip() + " (" + meaning + ") is not in its section of "
                            + "docs/commands.md"));
            boolean json = spec.findOption("--json") != null;
            assertEquals(json, section.contains("`--json`"), "walden " + entry.getKey()
                    + (json ? " has --json, undocumented" : " has no --json, but its section mentions one"));
        }
    }
}
