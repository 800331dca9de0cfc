package dev.walden.push;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line: arguments, where the socket comes from, exit codes. The exchange itself is tested with a real agent. */
class WaldenPushTest {
    @TempDir
    Path dir;

    private record Run(int exit, String out, String err) {
    }

    private static Run run(Map<String, String> env, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = WaldenPush.run(args, env, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void helpAndVersion() {
        Run help = run(Map.of(), "--help");
        assertEquals(0, help.exit());
        assertTrue(help.out().contains("archive_command = 'walden-push %p'"), help.out());
        Run version = run(Map.of(), "--version");
        assertEquals(0, version.exit());
        assertTrue(version.out().startsWith("walden-push "), version.out());
    }

    @Test
    void usageErrorsExit2WithOneLine() {
        Map<String, String> env = Map.of("WALDEN_AGENT_SOCKET", "/x.sock");
        assertEquals("walden-push: no WAL path given (archive_command = 'walden-push %p') (see walden-push --help)\n",
                run(env).err());
        assertEquals(WaldenPush.USAGE, run(env).exit());
        assertEquals(WaldenPush.USAGE, run(env, "a", "b").exit());
        assertEquals("walden-push: unknown option '--sokcet' (see walden-push --help)\n",
                run(env, "--sokcet", "/x", "a").err());
        assertEquals(WaldenPush.USAGE, run(env, "a", "--socket").exit());
        Run badTimeout = run(env, "--timeout", "soon", "a");
        assertEquals(WaldenPush.USAGE, badTimeout.exit());
        assertTrue(badTimeout.err().contains("'soon' is not a duration"), badTimeout.err());
    }

    @Test
    void noOptionThatExitsZeroWithoutPushingAcceptsAPath() {
        // archive_command = 'walden-push --ping %p' must never mark a WAL file as archived
        Map<String, String> env = Map.of("WALDEN_AGENT_SOCKET", "/x.sock");
        for (String option : new String[] {"--ping", "--help", "--version"}) {
            Run run = run(env, option, "pg_wal/000000010000000000000001");
            assertEquals(WaldenPush.USAGE, run.exit(), option);
            assertTrue(run.err().contains(option + " takes no WAL path") && run.err().contains("nothing was archived"),
                    run.err());
            assertEquals("", run.out());
        }
    }

    @Test
    void withoutAnySocketSettingItSaysHowToGiveOne() throws Exception {
        Path empty = Files.writeString(dir.resolve("empty.conf"), "# nothing\n");
        Run run = run(Map.of(), "--config", empty.toString(), "pg_wal/000000010000000000000001");
        assertEquals(WaldenPush.USAGE, run.exit());
        assertTrue(run.err().contains("agent.socket is required"), run.err());
    }

    @Test
    void theSocketComesFromTheFlagThenTheEnvironmentThenTheConfigFile() throws Exception {
        Path config = Files.writeString(dir.resolve("walden.conf"), "agent.socket = " + dir.resolve("file.sock") + "\n");
        Map<String, String> env = Map.of("WALDEN_CONFIG", config.toString());
        assertTrue(run(env, "--ping").err().contains("no socket at '" + dir.resolve("file.sock") + "'"));
        Map<String, String> envAndVariable = Map.of("WALDEN_CONFIG", config.toString(), "WALDEN_AGENT_SOCKET",
                dir.resolve("env.sock").toString());
        assertTrue(run(envAndVariable, "--ping").err().contains("no socket at '" + dir.resolve("env.sock") + "'"));
        Run flag = run(envAndVariable, "--socket", dir.resolve("flag.sock").toString(), "--ping");
        assertEquals(WaldenPush.AGENT_NOT_RUNNING, flag.exit());
        assertEquals("walden-push: agent not running: no socket at '" + dir.resolve("flag.sock") + "'\n", flag.err());
    }

    @Test
    void aFailedPushNamesTheFileAsPostgresGaveIt() {
        Run run = run(Map.of("WALDEN_AGENT_SOCKET", dir.resolve("none.sock").toString()),
                "pg_wal/000000010000000000000001");
        assertEquals(WaldenPush.AGENT_NOT_RUNNING, run.exit());
        assertTrue(run.err().startsWith("walden-push: 'pg_wal/000000010000000000000001' not archived: agent not running"),
                run.err());
    }

    @Test
    void aSocketThisUserMayNotUseIsExit7NotAgentNotRunning() throws Exception {
        Path socket = dir.resolve("agent.sock");
        try (ServerSocketChannel agent = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            agent.bind(UnixDomainSocketAddress.of(socket));
            Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("---------"));
            Run run = run(Map.of("WALDEN_AGENT_SOCKET", socket.toString()), "pg_wal/000000010000000000000001");
            assertEquals(WaldenPush.IO_ERROR, run.exit(), run.toString());
            assertEquals("walden-push: 'pg_wal/000000010000000000000001' not archived: permission denied on '" + socket
                    + "': run as the agent's user, or set agent.socket_group to a group this user is in\n", run.err());
        }
    }

    @Test
    void aConfigFileOthersMayChangeIsRefused() throws Exception {
        // it names the socket: whoever may change it could answer "stored" for WAL that never was
        Path config = Files.writeString(dir.resolve("walden.conf"), "agent.socket = " + dir.resolve("agent.sock") + "\n");
        Files.setPosixFilePermissions(config, PosixFilePermissions.fromString("rw-rw-rw-"));
        Run run = run(Map.of(), "--config", config.toString(), "pg_wal/000000010000000000000001");
        assertEquals(WaldenPush.USAGE, run.exit());
        assertEquals("walden-push: '" + config + "' is writable by others (mode 0666); run: chmod go-w '" + config + "'\n",
                run.err());
    }

    @Test
    void everyExitCodeIsBelow126() {
        for (int code : new int[] {WaldenPush.USAGE, WaldenPush.AGENT_NOT_RUNNING, WaldenPush.TIMEOUT,
                WaldenPush.REFUSED, WaldenPush.PROTOCOL_ERROR, WaldenPush.IO_ERROR}) {
            assertTrue(code > 0 && code < 126, "exit " + code);
        }
    }
}
