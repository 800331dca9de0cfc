package dev.walden.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.protocol.ErrorCode;
import dev.walden.protocol.ErrorReply;
import dev.walden.protocol.Frame;
import dev.walden.protocol.FrameCodec;
import dev.walden.protocol.FrameType;
import dev.walden.protocol.Meter;
import dev.walden.protocol.PushRequest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The native walden-push (bin/walden-push) against the Java one (bin/walden-push-java): for the
 * same arguments, environment, config file, working directory and agent reply, both must exit with
 * the same code, print the same stdout and stderr, and send the same request bytes, which must be
 * exactly what the Java protocol code encodes. Fake agents show both every kind of reply, malformed
 * ones included.
 */
class PushClientConformanceIT {
    private static final Path NATIVE = Installation.HOME.resolve("bin/walden-push");
    private static final Path JAVA = Installation.HOME.resolve("bin/walden-push-java");
    private static final String SEGMENT = "000000010000000000000001";

    @TempDir
    Path dir;
    Path pgdata;
    Path socket;
    Path config;

    record Result(int exit, String stdout, String stderr, List<byte[]> requests) {
        @Override
        public String toString() {
            return "exit " + exit + ", stdout [" + stdout + "], stderr [" + stderr + "]";
        }
    }

    @BeforeAll
    static void theNativeClientWasBuilt() throws IOException {
        byte[] head = Files.readAllBytes(NATIVE);
        assertTrue(head.length > 4 && head[0] == 0x7F && head[1] == 'E' && head[2] == 'L' && head[3] == 'F',
                NATIVE + " is not the native client: the build found no C compiler (install gcc; see README)");
        assertTrue(Files.isExecutable(JAVA), JAVA.toString());
    }

    @BeforeEach
    void setUp() throws IOException {
        pgdata = Files.createDirectories(dir.resolve("pgdata"));
        Files.createDirectories(pgdata.resolve("pg_wal"));
        socket = dir.resolve("agent.sock");
        config = dir.resolve("walden.conf");
        Files.writeString(config, "agent.socket = " + socket + "\n");
    }

    private static byte[] frame(FrameType type, byte[] body) {
        return FrameCodec.encode(new Frame(type, body));
    }

    private static byte[] ok(String text) {
        return frame(FrameType.OK, text.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    private static byte[] error(int code, String message) {
        byte[] text = message.getBytes(StandardCharsets.UTF_8);
        return frame(FrameType.ERROR, ByteBuffer.allocate(2 + text.length).putShort((short) code).put(text).array());
    }

    private static Result run(Path program, Path cwd, Map<String, String> env, byte[] reply, Path socket,
                              String... args) throws Exception {
        FakeAgent agent = reply == null ? null : FakeAgent.answering(socket, reply);
        try {
            ProcessBuilder builder = new ProcessBuilder();
            builder.command().add(program.toString());
            builder.command().addAll(List.of(args));
            builder.directory(cwd.toFile());
            builder.environment().clear();
            builder.environment().put("PATH", "/usr/local/bin:/usr/bin:/bin");
            builder.environment().put("LANG", "C.UTF-8");
            builder.environment().putAll(env);
            Path out = Files.createTempFile("push-out", ".txt");
            Path err = Files.createTempFile("push-err", ".txt");
            try {
                Process p = builder.redirectInput(Path.of("/dev/null").toFile()).redirectOutput(out.toFile())
                        .redirectError(err.toFile()).start();
                if (!p.waitFor(60, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    throw new IOException(program + " did not finish in 60 s");
                }
                return new Result(p.exitValue(), Files.readString(out), Files.readString(err),
                        agent == null ? List.of() : agent.requests());
            } finally {
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        } finally {
            if (agent != null) {
                agent.close();
            }
        }
    }

    /** Runs both clients the same way; asserts they agree in everything; returns the (common) result. */
    private Result both(Map<String, String> env, byte[] reply, String... args) throws Exception {
        Result java = run(JAVA, pgdata, env, reply, socket, args);
        Result nat = run(NATIVE, pgdata, env, reply, socket, args);
        assertEquals(java.exit(), nat.exit(), "exit code; java: " + java + "; native: " + nat);
        assertEquals(java.stdout(), nat.stdout(), "stdout");
        assertEquals(java.stderr().length(), nat.stderr().length(), () -> "stderr length; java: " + java.stderr()
                .substring(0, Math.min(300, java.stderr().length())));
        assertEquals(java.stderr(), nat.stderr(), "stderr");
        assertEquals(java.requests().size(), nat.requests().size(), "requests sent");
        for (int i = 0; i < java.requests().size(); i++) {
            assertArrayEquals(java.requests().get(i), nat.requests().get(i), "request bytes");
        }
        return nat;
    }

    private Result push(byte[] reply, String... extra) throws Exception {
        String[] args = new String[extra.length + 3];
        args[0] = "--config";
        args[1] = config.toString();
        System.arraycopy(extra, 0, args, 2, extra.length);
        args[args.length - 1] = "pg_wal/" + SEGMENT;
        return both(Map.of(), reply, args);
    }

    private void assertOneLine(Result result, int exit, String stderr) {
        assertEquals(exit, result.exit(), result.toString());
        assertEquals(stderr + "\n", result.stderr());
    }

    @Test
    void helpVersionAndUsageErrors() throws Exception {
        Result help = both(Map.of(), null, "--help");
        assertEquals(0, help.exit());
        assertTrue(help.stdout().contains("archive_command = 'walden-push %p'"), help.stdout());
        Result version = both(Map.of(), null, "--version");
        assertTrue(version.stdout().matches("walden-push \\S+\n"), version.stdout());

        assertOneLine(both(Map.of(), null), 2,
                "walden-push: no WAL path given (archive_command = 'walden-push %p') (see walden-push --help)");
        assertOneLine(both(Map.of(), null, "--sokcet", "/x", "a"), 2,
                "walden-push: unknown option '--sokcet' (see walden-push --help)");
        assertOneLine(both(Map.of(), null, "a", "--socket"), 2,
                "walden-push: --socket needs a value (see walden-push --help)");
        assertOneLine(both(Map.of(), null, "a", "b"), 2,
                "walden-push: expected one WAL path, got 'a' and 'b' (see walden-push --help)");
        for (String option : new String[] {"--ping", "--help", "--version"}) {
            assertOneLine(both(Map.of(), null, option, "pg_wal/" + SEGMENT), 2, "walden-push: " + option
                    + " takes no WAL path, got 'pg_wal/" + SEGMENT + "'; nothing was archived (see walden-push --help)");
        }
        assertOneLine(both(Map.of("WALDEN_AGENT_SOCKET", socket.toString()), null, "--timeout", "soon", "a"), 2,
                "walden-push: 'soon' is not a duration (examples: 500ms, 30s, 5m, 1h, 7d)");
        assertOneLine(both(Map.of("WALDEN_AGENT_SOCKET", socket.toString()), null, "--timeout", "0s", "a"), 2,
                "walden-push: '0s' is zero; a duration must be positive");
    }

    @Test
    void configurationIsReadAndRefusedAlike() throws Exception {
        Path missing = dir.resolve("missing.conf");
        assertOneLine(both(Map.of(), null, "--config", missing.toString(), "a"), 2,
                "walden-push: config file '" + missing + "' does not exist");
        assertOneLine(both(Map.of("WALDEN_CONFIG", missing.toString()), null, "a"), 2,
                "walden-push: config file '" + missing + "' does not exist");

        String[][] files = {
            {"agent.sockett = /x\n", "line 1: unknown key 'agent.sockett'"},
            {"# comment\n\nagent.socket = /a\nagent.socket = /b\n", "line 4: key 'agent.socket' is set twice"},
            {"agent.socket /a\n", "line 1: expected 'key = value', got 'agent.socket /a'"},
            {"push.timeout = 30s\n", ""},
            {"agent.socket = /a\npush.timeout = soon\n", ""},
            {"agent.socket = /a\npush.timeout = 0ms\n", ""},
        };
        for (String[] file : files) {
            Files.writeString(config, file[0]);
            Result result = both(Map.of(), null, "--config", config.toString(), "pg_wal/" + SEGMENT);
            assertEquals(2, result.exit(), file[0] + ": " + result);
            assertEquals(1, result.stderr().lines().count(), result.stderr());
            if (!file[1].isEmpty()) {
                assertEquals("walden-push: " + config + " " + file[1] + "\n", result.stderr());
            }
        }
        Files.writeString(config, "# nothing\n");
        assertOneLine(both(Map.of(), null, "--config", config.toString(), "a"), 2,
                "walden-push: agent.socket is required: set it in '" + config + "' or in WALDEN_AGENT_SOCKET");
        assertOneLine(both(Map.of("WALDEN_AGENT_SOCKE", "/x"), null, "--config", config.toString(), "a"), 2,
                "walden-push: unknown environment variable WALDEN_AGENT_SOCKE: it matches no configuration key");
        assertOneLine(both(Map.of("WALDEN_PUSH_TIMEOUT", "5 s", "WALDEN_AGENT_SOCKET", "/x"), null, "--config",
                config.toString(), "a"), 2, "walden-push: push.timeout (environment variable WALDEN_PUSH_TIMEOUT): "
                + "'5 s' is not a duration (examples: 500ms, 30s, 5m, 1h, 7d)");

        // a relative socket path resolves against the config file's directory, normalised
        Files.createDirectories(dir.resolve("sub"));
        Files.writeString(config, "agent.socket = \"sub/../agent.sock\"\n# reserved variables are not keys\n");
        Result pushed = both(Map.of("WALDEN_HOME", "/nowhere", "WALDEN_PROGRESS", "off"), ok("stored"),
                "--config", config.toString(), "pg_wal/" + SEGMENT);
        assertEquals(0, pushed.exit(), pushed.toString());
        assertEquals(1, pushed.requests().size());

        // normalisation as Path.normalize does it, shown through the path the error names
        for (String value : new String[] {"a/b/../../c/./../missing.sock", "./x/.././/missing.sock", "/../../missing.sock",
            "a/../../../..//missing.sock/", "/tmp/./.."}) {
            Files.writeString(config, "agent.socket = " + value + "\n");
            Result result = both(Map.of(), null, "--config", config.toString(), "pg_wal/" + SEGMENT);
            assertTrue(result.exit() == 3 || result.exit() == 7, value + ": " + result);
            assertTrue(result.stderr().contains("agent not running: no socket at '") || result.stderr().contains("'/'"),
                    value + ": " + result);
        }
    }

    @Test
    void requestsAreByteForByteWhatTheJavaProtocolEncodes() throws Exception {
        Result relative = push(ok("stored"));
        assertEquals(0, relative.exit(), relative.toString());
        assertEquals("", relative.stdout() + relative.stderr());
        assertArrayEquals(FrameCodec.encode(new PushRequest(pgdata.resolve("pg_wal/" + SEGMENT).toString()).toFrame()),
                relative.requests().get(0));

        for (String path : new String[] {pgdata + "//pg_wal///" + SEGMENT, "./pg_wal/" + SEGMENT + "/",
            "../pgdata/pg_wal/" + SEGMENT, "pg_wal/" + "x".repeat(3000)}) {
            Result result = both(Map.of(), ok(""), "--config", config.toString(), path);
            assertEquals(0, result.exit(), result.toString());
            assertArrayEquals(FrameCodec.encode(new PushRequest(pgdata.resolve(path).toAbsolutePath().toString())
                    .toFrame()), result.requests().get(0), path);
        }

        Result ping = both(Map.of("WALDEN_AGENT_SOCKET", socket.toString()), ok("pong"), "--ping", "--verbose");
        assertEquals(0, ping.exit(), ping.toString());
        assertEquals("walden-push: pong\n", ping.stdout());
        assertArrayEquals(FrameCodec.encode(Frame.of(FrameType.PING)), ping.requests().get(0));

        Result verbose = push(ok("stored " + SEGMENT + " (16.0 MiB)"), "-v");
        assertEquals("walden-push: stored " + SEGMENT + " (16.0 MiB)\n", verbose.stdout());
    }

    @Test
    void refusalsArePrintedAsOneLineWithTheirCode() throws Exception {
        String where = "walden-push: 'pg_wal/" + SEGMENT + "' not archived: ";
        assertOneLine(push(FrameCodec.encode(new ErrorReply(ErrorCode.STORAGE_TIMEOUT, "not stored within 20s")
                .toFrame())), 5, where + "not stored within 20s [storage_timeout]");
        // control characters (C0, DEL, C1) can't break the line PostgreSQL logs
        assertOneLine(push(error(20, "\n disk\tfull\r\u007f\u0085 on /repo \n")), 5,
                where + "disk full    on /repo [storage_failed]");
        assertOneLine(push(error(77, "a code from a newer agent")), 5, where + "a code from a newer agent [error 77]");
        assertOneLine(push(error(16, "é ünïcode ✓")), 5, where + "é ünïcode ✓ [duplicate_differs]");
    }

    @Test
    void malformedRepliesAreProtocolErrorsNeverCrashes() throws Exception {
        String where = "walden-push: 'pg_wal/" + SEGMENT + "' not archived: ";
        assertOneLine(push(frame(FrameType.ERROR, new byte[] {1})), 6,
                "walden-push: invalid reply from the agent: ERROR frame of 1 bytes has no error code");
        assertOneLine(push("HTTP/1.1 400 Bad Request\r\n\r\n".getBytes(StandardCharsets.US_ASCII)), 6,
                where + "invalid reply from the agent: bad frame magic: byte 0 is 0x48, expected 0x57");
        assertOneLine(push(new byte[] {'W', 'X'}), 6,
                where + "invalid reply from the agent: bad frame magic: byte 1 is 0x58, expected 0x4c");
        assertOneLine(push(new byte[] {'W', 'L', 2, (byte) 0x80, 0, 0, 0, 0}), 6,
                where + "invalid reply from the agent: unsupported protocol version 2 (this side speaks 1)");
        assertOneLine(push(new byte[] {'W', 'L', 1, 0x7F, 0, 0, 0, 0}), 6,
                where + "invalid reply from the agent: unknown frame type 0x7f");
        assertOneLine(push(new byte[] {'W', 'L', 1, (byte) 0x80, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF}),
                6, where + "invalid reply from the agent: frame body of 4294967295 bytes exceeds the maximum of 65536");
        assertOneLine(push(new byte[] {'W', 'L', 1, (byte) 0x80, 0, 0, 1, 0, 'o', 'k'}), 6,
                where + "agent closed the connection without a reply");
        assertOneLine(push(new byte[] {'W', 'L', 1}), 6, where + "agent closed the connection without a reply");
        assertOneLine(push(new byte[0]), 6, where + "agent closed the connection without a reply");
        assertOneLine(push(frame(FrameType.PUSH, "/etc/passwd".getBytes(StandardCharsets.UTF_8))), 6,
                where + "agent replied with a request frame (PUSH)");
        byte[] longest = new byte[FrameCodec.MAX_BODY_LENGTH];
        Arrays.fill(longest, (byte) 'x');
        ByteBuffer.wrap(longest).putShort((short) 20);
        Result huge = push(frame(FrameType.ERROR, longest));
        assertEquals(5, huge.exit(), "a 64 KiB error message is still an answer");
        assertEquals(where.length() + FrameCodec.MAX_BODY_LENGTH - 2 + " [storage_failed]\n".length(),
                huge.stderr().length(), "printed whole, on one line");
        assertTrue(huge.stderr().endsWith("x [storage_failed]\n"), huge.stderr().substring(huge.stderr().length() - 40));
    }

    @Test
    void progressFramesAreSkippedAndSilenceTimesOut() throws Exception {
        byte[] meter = FrameCodec.encode(new Meter("copying", "files", 1, 2, 3, 4).toFrame());
        byte[] chatter = concat(frame(FrameType.PROGRESS, "working".getBytes(StandardCharsets.UTF_8)), meter,
                frame(FrameType.PROGRESS, new byte[0]), ok("stored"));
        Result chatty = push(chatter, "--verbose");
        assertEquals(0, chatty.exit(), chatty.toString());
        assertEquals("walden-push: stored\n", chatty.stdout());

        assertOneLine(push(FakeAgent.SILENT, "--timeout", "400ms"), 4, "walden-push: 'pg_wal/" + SEGMENT
                + "' not archived: timed out after 400ms waiting for the reply (agent at '" + socket + "')");
        assertOneLine(push(FakeAgent.SILENT, "--timeout", "1s"), 4, "walden-push: 'pg_wal/" + SEGMENT
                + "' not archived: timed out after 1s waiting for the reply (agent at '" + socket + "')");
    }

    @Test
    void extremeValuesAreReadWholeAndAlike() throws Exception {
        // "forever" is a long wait, not an overflow
        for (String forever : new String[] {"999999999d", "999999999h", "153722868m"}) {
            Result result = push(ok("stored"), "--timeout", forever);
            assertEquals(0, result.exit(), forever + ": " + result);
        }
        Files.writeString(config, "# " + "x".repeat(20_000) + "\nagent.socket = " + socket + "\npush.timeout = "
                + " ".repeat(1100) + "5s\n");
        assertEquals(0, push(ok("stored")).exit(), "a 20 kB comment and a padded value");
        Files.writeString(config, "agent.socket = " + socket + "\npush.timeout = 5s" + " ".repeat(1021) + "x\n");
        Result padded = push(ok("stored"));
        assertEquals(2, padded.exit(), padded.toString());
        Files.writeString(config, "agent.socket = " + socket + "\n");
        Result nul = push(ok("stored\u0000 and after"), "--verbose");
        assertEquals("walden-push: stored\u0000 and after\n", nul.stdout());
    }

    @Test
    void noAgentIsExit3() throws Exception {
        assertOneLine(push(null), 3, "walden-push: 'pg_wal/" + SEGMENT + "' not archived: agent not running: no socket at '"
                + socket + "'");
        // a socket file nobody listens on, as a killed agent leaves it
        try (var stale = java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            stale.bind(java.net.UnixDomainSocketAddress.of(socket));
        }
        assertOneLine(push(null), 3, "walden-push: 'pg_wal/" + SEGMENT + "' not archived: agent not running: nobody "
                + "listens on '" + socket + "' (connection refused)");
        Map<String, String> env = new HashMap<>(Map.of("WALDEN_AGENT_SOCKET", socket.toString()));
        assertOneLine(both(env, null, "--ping"), 3, "walden-push: agent not running: nobody listens on '" + socket
                + "' (connection refused)");
    }

    @Test
    void permissionProblemsAreReportedAlike() throws Exception {
        String where = "walden-push: 'pg_wal/" + SEGMENT + "' not archived: ";
        // "agent not running" would send the operator to start an agent that is running
        try (var agent = java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            agent.bind(java.net.UnixDomainSocketAddress.of(socket));
            Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("---------"));
            assertOneLine(push(null), 7, where + "permission denied on '" + socket + "': run as the agent's user, or set "
                    + "agent.socket_group to a group this user is in");
        }
        Files.delete(socket);
        Path closed = Files.createDirectory(dir.resolve("closed"));
        Path hidden = closed.resolve("agent.sock");
        try (var agent = java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            agent.bind(java.net.UnixDomainSocketAddress.of(hidden));
            Files.setPosixFilePermissions(closed, PosixFilePermissions.fromString("rw-------"));
            assertOneLine(both(Map.of("WALDEN_AGENT_SOCKET", hidden.toString()), null, "--ping"), 7, "walden-push: "
                    + "permission denied on '" + hidden + "': a directory on its path is closed to this user; run as the "
                    + "agent's user, or open the directory to agent.socket_group");
        } finally {
            Files.setPosixFilePermissions(closed, PosixFilePermissions.fromString("rwx------"));
        }

        // the config file names the socket: whoever may change it may answer "stored" for WAL never stored
        Files.setPosixFilePermissions(config, PosixFilePermissions.fromString("rw-rw-r--"));
        assertOneLine(push(ok("stored")), 2, "walden-push: '" + config + "' is writable by others (mode 0664); run: "
                + "chmod go-w '" + config + "'");
        String[] secrets = {"repository.s3.endpoint = https://walden:s3cr3t@minio.internal:9000",
            "repository.s3.endpoint = \"s3://k:s3cr3t@bucket\"", "dump.databases = app password: s3cr3t",
            "# password = s3cr3t in a comment is not a value\nrepository.s3.endpoint = https://minio.internal:9000/"};
        for (String line : secrets) {
            Files.writeString(config, "agent.socket = " + socket + "\n" + line + "\n");
            Files.setPosixFilePermissions(config, PosixFilePermissions.fromString("rw-r--r--"));
            Result result = push(ok("stored"));
            if (line.startsWith("#")) {
                assertEquals(0, result.exit(), line + ": " + result);
                continue;
            }
            assertOneLine(result, 2, "walden-push: '" + config + "' holds a password and is readable by others (mode "
                    + "0644); run: chmod 600 '" + config + "'");
            Files.setPosixFilePermissions(config, PosixFilePermissions.fromString("rw-------"));
            assertEquals(0, push(ok("stored")).exit(), line);
        }
        // /dev/null is root's and 0666, but holds nothing anyone could change
        Result devNull = both(Map.of("WALDEN_AGENT_SOCKET", socket.toString()), ok("pong"), "--config", "/dev/null",
                "--ping");
        assertEquals(0, devNull.exit(), devNull.toString());
    }
}
