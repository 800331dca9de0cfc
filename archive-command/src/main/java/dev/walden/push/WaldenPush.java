package dev.walden.push;

import dev.walden.config.ConfigException;
import dev.walden.config.ConfigKeys;
import dev.walden.config.ConfigSource;
import dev.walden.config.Durations;
import dev.walden.protocol.AgentClient;
import dev.walden.protocol.AgentClientException;
import dev.walden.protocol.ErrorReply;
import dev.walden.protocol.Frame;
import dev.walden.protocol.FrameType;
import dev.walden.protocol.ProtocolException;
import dev.walden.protocol.PushRequest;
import dev.walden.protocol.WaldenVersion;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * {@code walden-push}: the archive_command. Hands one WAL file to the agent and exits 0 only when
 * the agent has acknowledged that the file is durably stored. Every other outcome is a non-zero
 * exit below 126 (so PostgreSQL retries rather than restarting its archiver) and one line on
 * stderr, which PostgreSQL copies into its log.
 *
 * <p>Depends on java.base and walden-protocol only: PostgreSQL starts it once per segment.
 */
public final class WaldenPush {
    public static final int OK = 0;
    public static final int USAGE = 2;
    public static final int AGENT_NOT_RUNNING = 3;
    public static final int TIMEOUT = 4;
    public static final int REFUSED = 5;
    public static final int PROTOCOL_ERROR = 6;
    public static final int IO_ERROR = 7;

    static final String USAGE_TEXT = """
            usage: walden-push [--socket PATH] [--config FILE] [--timeout DURATION] WAL_PATH
                   walden-push --ping [--socket PATH] [--config FILE] [--timeout DURATION]

            Hands one WAL file to the walden agent; exits 0 only once it is durably stored.
            In postgresql.conf:  archive_command = 'walden-push %p'

              --socket PATH        agent socket (default: $WALDEN_AGENT_SOCKET, else agent.socket
                                   from the config file)
              --config FILE        config file (default: $WALDEN_CONFIG, else /etc/walden/walden.conf)
              --timeout DURATION   how long to wait for the agent, e.g. 30s (default: push.timeout, 60s)
              --ping               only check that the agent answers
              --verbose            print the agent's answer on success too
              --version, --help

            exit codes: 0 archived; 2 usage or configuration error; 3 agent not running;
                        4 timed out; 5 refused by the agent (the message says why);
                        6 protocol error; 7 other I/O error
            """;

    private WaldenPush() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.getenv(), System.out, System.err));
    }

    /** Everything {@link #main} does except exit, so tests can call it. */
    public static int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err) {
        String socketFlag = null;
        String configFlag = null;
        String timeoutFlag = null;
        String walPath = null;
        boolean ping = false;
        boolean verbose = false;
        boolean help = false;
        boolean version = false;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            switch (arg) {
                case "--help", "-h" -> help = true;
                case "--version" -> version = true;
                case "--ping" -> ping = true;
                case "--verbose", "-v" -> verbose = true;
                case "--socket", "--config", "--timeout" -> {
                    if (i + 1 >= args.length) {
                        return usage(err, arg + " needs a value");
                    }
                    String value = args[++i];
                    switch (arg) {
                        case "--socket" -> socketFlag = value;
                        case "--config" -> configFlag = value;
                        default -> timeoutFlag = value;
                    }
                }
                default -> {
                    if (arg.startsWith("-") && !arg.equals("-")) {
                        return usage(err, "unknown option '" + arg + "'");
                    }
                    if (walPath != null) {
                        return usage(err, "expected one WAL path, got '" + walPath + "' and '" + arg + "'");
                    }
                    walPath = arg;
                }
            }
        }
        // Exit 0 tells PostgreSQL the file is archived. With a path, only an actual push may say
        // that: 'walden-push --ping %p' pasted into archive_command must not mark WAL as done.
        if ((help || version || ping) && walPath != null) {
            return usage(err, (help ? "--help" : version ? "--version" : "--ping") + " takes no WAL path, got '"
                    + walPath + "'; nothing was archived");
        }
        if (help) {
            out.print(USAGE_TEXT);
            return OK;
        }
        if (version) {
            out.println("walden-push " + WaldenVersion.get());
            return OK;
        }
        if (!ping && walPath == null) {
            return usage(err, "no WAL path given (archive_command = 'walden-push %p')");
        }

        Path socket;
        Duration timeout;
        try {
            ConfigSource config = ConfigSource.locate(configFlag, env);
            socket = socketFlag != null ? Path.of(socketFlag).toAbsolutePath() : config.requiredPath(ConfigKeys.AGENT_SOCKET);
            timeout = timeoutFlag != null ? Durations.parse(timeoutFlag) : config.duration(ConfigKeys.PUSH_TIMEOUT);
        } catch (ConfigException | IllegalArgumentException e) {
            err.println("walden-push: " + e.getMessage());
            return USAGE;
        }

        Frame request;
        try {
            // PostgreSQL runs us in PGDATA with %p relative to it; the agent wants an absolute path.
            request = ping ? Frame.of(FrameType.PING) : new PushRequest(Path.of(walPath).toAbsolutePath().toString())
                    .toFrame();
        } catch (IllegalArgumentException e) { // InvalidPathException too
            return usage(err, "'" + walPath + "' is not a valid path");
        }
        try {
            Frame reply = new AgentClient(socket, timeout).exchange(request);
            if (reply.type() == FrameType.OK) {
                if (verbose) {
                    out.println("walden-push: " + reply.bodyText());
                }
                return OK;
            }
            ErrorReply error = ErrorReply.fromFrame(reply);
            err.println("walden-push: " + (walPath == null ? "" : "'" + walPath + "' not archived: ") + error);
            return REFUSED;
        } catch (AgentClientException e) {
            err.println("walden-push: " + (walPath == null ? "" : "'" + walPath + "' not archived: ") + e.getMessage());
            return switch (e.kind()) {
                case NOT_RUNNING -> AGENT_NOT_RUNNING;
                case TIMEOUT -> TIMEOUT;
                case PROTOCOL -> PROTOCOL_ERROR;
                case IO -> IO_ERROR;
            };
        } catch (ProtocolException e) {
            err.println("walden-push: invalid reply from the agent: " + e.getMessage());
            return PROTOCOL_ERROR;
        }
    }

    private static int usage(PrintStream err, String problem) {
        err.println("walden-push: " + problem + " (see walden-push --help)");
        return USAGE;
    }
}
