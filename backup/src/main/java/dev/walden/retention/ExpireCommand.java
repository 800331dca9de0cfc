package dev.walden.retention;

import dev.walden.backup.BackupSettings;
import dev.walden.config.ConfigException;
import dev.walden.config.ConfigSource;
import dev.walden.repo.Repository;
import dev.walden.repo.StorageFactory;
import dev.walden.storage.Storage;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Clock;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code walden expire}: apply the retention policy. */
@Command(name = "expire", mixinStandardHelpOptions = true,
        description = {"Remove base backups, dumps and WAL the retention policy no longer keeps (retention.*; "
                + "by default a 7-day recovery window and 7 days of dumps).",
                "WAL goes only below the start of the oldest base backup kept; without a complete backup no WAL "
                        + "is removed. The agent runs this after each scheduled backup."})
public final class ExpireCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--config", paramLabel = "FILE",
            description = "config file (default: $WALDEN_CONFIG, else /etc/walden/walden.conf)")
    String config;

    @Option(names = "--dry-run", description = "show what would be removed, remove nothing")
    boolean dryRun;

    @Override
    public Integer call() throws ConfigException, IOException {
        ConfigSource source = ConfigSource.locate(config, System.getenv());
        BackupSettings settings = BackupSettings.from(source, System.getenv());
        PrintWriter out = spec.commandLine().getOut();
        try (Storage storage = StorageFactory.open(source)) {
            Expirer expirer = new Expirer(Repository.open(storage), settings.retention(), Clock.systemDefaultZone());
            Expirer.Plan plan = dryRun ? expirer.plan()
                    : expirer.run("walden expire (pid " + ProcessHandle.current().pid() + ")");
            String verb = dryRun ? "would remove" : "removed";
            for (Expirer.Item b : plan.backups()) {
                out.printf("%s base backup %s: %s%n", verb, b.name(), b.reason());
            }
            for (Expirer.Item d : plan.dumps()) {
                out.printf("%s dump %s: %s%n", verb, d.name(), d.reason());
            }
            if (!plan.wal().isEmpty()) {
                out.printf("%s %d WAL file(s) before %s (the start of the oldest base backup kept)%n", verb,
                        plan.wal().size(), plan.walKeptFrom().orElse("?"));
            } else if (plan.walKeptFrom().isEmpty()) {
                out.println("no WAL removed: there is no complete base backup yet");
            }
            out.printf("%s %.1f MiB in all%s%n", verb, plan.bytes() / 1048576.0, dryRun ? " (dry run: nothing removed)" : "");
        }
        return 0;
    }
}
