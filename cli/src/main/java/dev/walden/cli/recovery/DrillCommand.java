package dev.walden.cli.recovery;

import dev.walden.catalog.AuditLog;
import dev.walden.catalog.DrillLog;
import dev.walden.cli.options.ConfigOption;
import dev.walden.config.ConfigException;
import dev.walden.config.ConfigSource;
import dev.walden.config.Durations;
import dev.walden.drill.DrillSettings;
import dev.walden.drill.RestoreDrill;
import dev.walden.recovery.RecoveryPort;
import dev.walden.recovery.RecoveryTarget;
import dev.walden.repo.Json;
import dev.walden.repo.StorageFactory;
import dev.walden.storage.Storage;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code walden drill}: prove that the repository restores, by restoring it into a throwaway copy. */
@Command(name = "drill", mixinStandardHelpOptions = true,
        description = {"Restore drill: recover the newest usable backup (or --backup) into a throwaway copy in "
                + "drill.directory, replay to the newest archived WAL (or the --target-* given), promote it, and check "
                + "it: it accepts connections, every database opens, pg_amcheck finds no corruption (drill.amcheck) "
                + "and each query of drill.checks returns true. Then the copy is stopped and removed, also when "
                + "something failed or a signal stops the drill.",
                "The copy listens on a private socket only (no TCP) and archives nowhere. Each drill is recorded in "
                        + "the repository (drills/…json: backup, point reached, seconds per phase, RTO, checks, the "
                        + "server's log tail on failure) and in the audit trail; 'walden list' shows the last ones."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:the copy reached the target and passed every check", "1:it did not, or walden refused "
                + "before starting; the message says why", "2:a mistake in the options (nothing was done)"})
public final class DrillCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ConfigOption config;

    @ArgGroup(exclusive = true, multiplicity = "0..1", heading = "%nTarget (at most one; default --latest):%n")
    RecoverCommand.Target target;

    @Option(names = "--backup", paramLabel = "LABEL",
            description = "base backup to restore (default: the newest that ended before the target)")
    String backup;

    @Option(names = "--port", paramLabel = "PORT", description = "port of the copy's private socket (default: a free one)")
    Integer port;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "1h",
            description = "longest the recovery, and then pg_amcheck, may each take (default: ${DEFAULT-VALUE})")
    String timeout;

    @Option(names = "--json", description = "print the drill's record as JSON on stdout; progress goes to stderr")
    boolean json;

    /** Who started it, for the record and the audit trail: the agent's schedule passes {@code schedule}. */
    @Option(names = "--trigger", hidden = true, defaultValue = "command")
    String trigger;

    @Override
    public Integer call() throws ConfigException, IOException, InterruptedException {
        RecoveryTarget recoveryTarget = target == null ? new RecoveryTarget.Latest() : target.parse(spec);
        Duration limit;
        try {
            limit = Durations.parse(timeout);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--timeout: " + e.getMessage());
        }
        if (port != null && (port < 1 || port > RecoveryPort.MAX)) {
            throw new ParameterException(spec.commandLine(), "--port: '" + port + "' is not a port number (1-"
                    + RecoveryPort.MAX + ")");
        }
        PrintWriter data = spec.commandLine().getOut();
        PrintWriter out = json ? spec.commandLine().getErr() : data;
        ConfigSource source = config.locate();
        RestoreDrill drill = new RestoreDrill(source, DrillSettings.from(source), out);
        out.printf("walden drill: restoring into %s (removed at the end)%n", drill.workDirectory());
        out.flush();
        Thread hook = new Thread(drill::stopBySignal, "walden-drill-cleanup");
        Runtime.getRuntime().addShutdownHook(hook);
        DrillLog.Drill result;
        try {
            result = drill.run(new RestoreDrill.Options(recoveryTarget, Optional.ofNullable(backup),
                    Optional.ofNullable(port), limit, trigger));
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) { // the hook is removing the copy
                Thread.currentThread().join(); // wait for the halt
            }
        }
        audit(source, AuditLog.entry("drill", result.backup() == null ? "-" : "backup " + result.backup(), result.ok(),
                result.ok() ? "reached " + result.target() + " in " + result.rto().orElse(0.0) + " s"
                        : result.failure(), Instant.parse(result.time()), Clock.systemUTC(), trigger));
        if (json) {
            Json.print(data, result);
        } else {
            print(result, out);
        }
        return result.ok() ? 0 : 1;
    }

    private static void print(DrillLog.Drill d, PrintWriter out) {
        if (d.ok()) {
            out.printf("drill passed: backup %s, %s reached (last transaction %s); RTO %.1f s to the target%s%n",
                    d.backup(), d.reachedLsn() == null ? "the target" : d.reachedLsn(),
                    d.reachedTransactionTime() == null ? "none replayed" : d.reachedTransactionTime(),
                    d.rto().orElse(0.0), d.rtoSeconds().containsKey("consistent")
                            ? String.format(", %.1f s to consistent", d.rtoSeconds().get("consistent")) : "");
        } else {
            out.println("drill FAILED: " + d.failure());
            if (d.logTail() != null && !d.logTail().isEmpty()) {
                out.println("the server's last log lines (also in the drill's record):");
                d.logTail().subList(Math.max(0, d.logTail().size() - 10), d.logTail().size())
                        .forEach(l -> out.println("  " + l));
            }
        }
        out.printf("seconds: %s%n", d.phasesSeconds().entrySet().stream()
                .map(e -> e.getKey() + " " + String.format("%.1f", e.getValue())).toList());
        out.flush();
    }

    /** The drill's outcome goes to the audit trail too; a failure to write it is a warning. */
    private void audit(ConfigSource source, AuditLog.Entry entry) {
        java.util.function.Consumer<String> warn = w -> spec.commandLine().getErr().println("walden drill: " + w);
        try (Storage storage = StorageFactory.open(source)) {
            new AuditLog(storage).tryAppend(entry, warn);
        } catch (IOException | ConfigException | RuntimeException e) {
            warn.accept("could not open the repository for the audit log: " + e.getMessage());
        }
    }
}
