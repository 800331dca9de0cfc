package dev.walden.cli;

import dev.walden.cli.backup.BackupCommand;
import dev.walden.cli.backup.DumpCommand;
import dev.walden.cli.backup.ExpireCommand;
import dev.walden.cli.keys.KeyCommand;
import dev.walden.cli.recovery.CatCommand;
import dev.walden.cli.recovery.DrillCommand;
import dev.walden.cli.recovery.FetchCommand;
import dev.walden.cli.recovery.ListCommand;
import dev.walden.cli.recovery.RecoverCommand;
import dev.walden.cli.recovery.RestoreCommand;
import dev.walden.cli.recovery.VerifyCommand;
import dev.walden.cli.setup.AgentCommand;
import dev.walden.cli.setup.AuditCommand;
import dev.walden.cli.setup.CheckCommand;
import dev.walden.cli.setup.DemoCommand;
import dev.walden.cli.setup.InitCommand;
import dev.walden.cli.setup.StatusCommand;
import dev.walden.config.ConfigException;
import dev.walden.config.ConfigSource;
import dev.walden.config.Secrets;
import dev.walden.log.LogSetup;
import dev.walden.repo.Json;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine;

/** {@code walden}: the command line. Each subcommand is a class of its own module. */
@Command(name = "walden", mixinStandardHelpOptions = true, versionProvider = Walden.Version.class,
        description = "PostgreSQL WAL archiving, backup and point-in-time recovery.")
public final class Walden {
    /** Exit code for a command that failed to start; each command documents its own others. */
    static final int FAILED = 1;

    /** Every subcommand, in the order the help lists them. */
    private static final List<Class<?>> SUBCOMMANDS = List.of(InitCommand.class, AgentCommand.class,
            CheckCommand.class, BackupCommand.class, DumpCommand.class, ExpireCommand.class, ListCommand.class,
            RecoverCommand.class, DrillCommand.class, RestoreCommand.class, VerifyCommand.class, FetchCommand.class,
            CatCommand.class, KeyCommand.class, StatusCommand.class, AuditCommand.class, DemoCommand.class,
            CommandLine.HelpCommand.class);

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command the arguments name; returns its exit code. */
    static int run(String[] args) {
        // JSON is read by every command that opens the repository (repository.json first of all), and the
        // mapper's first use costs ~0.1 s of a cold start: made on a second core while this one sets up
        // logging and reads the configuration (the agent starts before PostgreSQL, which waits for it)
        Thread.ofPlatform().daemon(true).name("walden-json").start(() -> Json.MAPPER.createObjectNode());
        LogSetup.fromEnvironment(System.getenv());
        ConfigSource.checkEveryLocated(WholeConfig::check);
        Optional<AgentCommand> agent = AgentCommand.asTheUnitRunsIt(args);
        return agent.isPresent() ? runAgent(agent.get()) : commandLine(args).execute(args);
    }

    /**
     * {@code walden agent [--config FILE]}, run as picocli would run it, failures included. Without
     * picocli: its classes can't enter the start-up cache and cost the agent ~0.3 s, and the agent
     * starts before PostgreSQL, whose first archive_command waits for it.
     */
    private static int runAgent(AgentCommand agent) {
        try {
            return agent.call();
        } catch (Exception e) {
            System.err.println("walden agent: " + failure(e));
            return FAILED;
        }
    }

    /** One line naming what failed, secrets taken out: a stack trace only helps a developer. */
    private static String failure(Exception e) {
        String message = e instanceof ConfigException || e instanceof java.io.IOException ? e.getMessage() : e.toString();
        return Secrets.redact(message);
    }

    /** The whole command line, every subcommand in it. */
    static CommandLine commandLine() {
        return commandLine(new String[0]);
    }

    /**
     * The command line for these arguments: when the first names a subcommand (other than help), that
     * subcommand only. picocli builds each command's model by reflection, in classes too old for the
     * start-up cache (Java 5 class files), interpreted: the 18 of them cost the agent ~0.3 s of its start,
     * and the agent starts before PostgreSQL. Anything else (no subcommand, a mistyped one, help) gets
     * them all, so help, suggestions and errors are what they always were.
     */
    static CommandLine commandLine(String[] args) {
        ConfigSource.checkEveryLocated(WholeConfig::check);
        CommandLine cli = new CommandLine(new Walden());
        List<Class<?>> subcommands = args.length == 0 ? SUBCOMMANDS : SUBCOMMANDS.stream()
                .filter(c -> c != CommandLine.HelpCommand.class && c.getAnnotation(Command.class).name().equals(args[0]))
                .toList();
        for (Class<?> subcommand : subcommands.isEmpty() ? SUBCOMMANDS : subcommands) {
            cli.addSubcommand(subcommand);
        }
        cli.getCommandSpec().exitCodeOnExecutionException(FAILED);
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("walden " + cmd.getCommandName() + ": " + failure(e));
            return cmd.getCommandSpec().exitCodeOnExecutionException();
        });
        cli.setParameterExceptionHandler(Walden::usageError);
        // restore_command: any failure, a usage error included, must exit above 125, or
        // PostgreSQL takes it for "not found" and ends recovery early
        CommandLine fetch = cli.getSubcommands().get("fetch");
        if (fetch != null) {
            fetch.getCommandSpec().exitCodeOnInvalidInput(FetchCommand.USAGE);
            fetch.getCommandSpec().exitCodeOnExecutionException(FetchCommand.IO_ERROR);
        }
        cli.setExecutionStrategy(parsed -> {
            CommandLine.ParseResult sub = parsed.subcommand();
            if (fetch != null && sub != null && sub.commandSpec() == fetch.getCommandSpec()
                    && (sub.isUsageHelpRequested() || sub.isVersionHelpRequested()) && sub.hasMatchedPositional(0)) {
                // with %f %p given, an exit 0 would tell PostgreSQL the file was written
                fetch.getErr().println("walden fetch: --help and --version take no file arguments; nothing fetched");
                return FetchCommand.USAGE;
            }
            return new CommandLine.RunLast().execute(parsed);
        });
        return cli;
    }

    /**
     * A mistake in the options: one line naming it and where the help is (a mistyped option also
     * gets picocli's "did you mean"), not sixty lines of usage that push the message off screen.
     */
    private static int usageError(CommandLine.ParameterException e, String[] args) {
        CommandLine cmd = e.getCommandLine();
        String name = cmd.getCommandSpec().qualifiedName();
        String message = e.getMessage() == null ? "invalid arguments" : e.getMessage();
        if (message.length() > 1 && Character.isUpperCase(message.charAt(0)) && Character.isLowerCase(message.charAt(1))) {
            message = Character.toLowerCase(message.charAt(0)) + message.substring(1); // picocli's "Unknown option"
        }
        cmd.getErr().println(name + ": " + Secrets.redact(message) + " (see '" + name + " --help')");
        CommandLine.UnmatchedArgumentException.printSuggestions(e, cmd.getErr());
        cmd.getErr().flush();
        return cmd.getCommandSpec().exitCodeOnInvalidInput();
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String home = System.getProperty("walden.home");
            return BuildInfo.of(Optional.ofNullable(home).map(Path::of)).lines();
        }
    }
}
