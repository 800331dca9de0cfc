package dev.walden.cli.backup;

import dev.walden.backup.BackupSettings;
import dev.walden.catalog.AuditLog;
import dev.walden.cli.options.ConfigOption;
import dev.walden.config.ConfigException;
import dev.walden.config.ConfigSource;
import dev.walden.console.Sizes;
import dev.walden.repo.Json;
import dev.walden.repo.Repository;
import dev.walden.repo.StorageFactory;
import dev.walden.retention.Expirer;
import dev.walden.storage.Storage;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code walden expire}: apply the retention policy. */
@Command(name = "expire", mixinStandardHelpOptions = true,
        description = {"Remove base backups, dumps and WAL the retention policy no longer keeps (retention.*; "
                + "by default a 7-day recovery window and 7 days of dumps).",
                "WAL goes only below the start of the oldest base backup kept; without a complete backup no WAL "
                        + "is removed. The agent runs this after each scheduled backup."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:done (or, with --dry-run, shown)", "1:nothing or not everything was removed; the message says why"})
public final class ExpireCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ConfigOption config;

    @Option(names = "--dry-run", description = "show what would be removed, remove nothing")
    boolean dryRun;

    @Option(names = "--json", description = "print what was (or would be) removed as JSON")
    boolean json;

    @Override
    public Integer call() throws ConfigException, IOException {
        ConfigSource source = config.locate();
        BackupSettings settings = BackupSettings.from(source, System.getenv());
        PrintWriter out = spec.commandLine().getOut();
        try (Storage storage = StorageFactory.open(source)) {
            Expirer expirer = new Expirer(Repository.open(storage), settings.retention(), Clock.systemDefaultZone());
            Instant started = Instant.now();
            Expirer.Plan plan;
            if (dryRun) {
                plan = expirer.plan();
            } else {
                AuditLog audit = new AuditLog(storage);
                try {
                    plan = expirer.run("walden expire (pid " + ProcessHandle.current().pid() + ")");
                } catch (IOException | RuntimeException e) {
                    audit.tryAppend(AuditLog.entry("expire", storage.describe(), false, e.getMessage(), started,
                            Clock.systemUTC(), "command"), w -> spec.commandLine().getErr().println("walden expire: " + w));
                    throw e;
                }
                audit.tryAppend(AuditLog.entry("expire", storage.describe(), true, plan.summary(), started,
                        Clock.systemUTC(), "command"), w -> spec.commandLine().getErr().println("walden expire: " + w));
            }
            if (json) {
                Map<String, Object> result = new LinkedHashMap<>();
                result.put("dry_run", dryRun);
                result.put("backups", plan.backups());
                result.put("dumps", plan.dumps());
                result.put("wal_files", plan.wal().size());
                result.put("wal_kept_from", plan.walKeptFrom().orElse(null));
                result.put("streamed_segments", plan.streamed().size());
                result.put("bytes", plan.bytes());
                Json.print(out, result);
            } else {
                print(plan, out);
            }
        }
        return 0;
    }

    private void print(Expirer.Plan plan, PrintWriter out) {
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
        if (!plan.streamed().isEmpty()) {
            out.printf("%s %d streamed segment(s) archived since, or before the oldest base backup kept%n", verb,
                    plan.streamed().size());
        }
        out.printf("%s %s in all%s%n", verb, Sizes.bytes(plan.bytes()), dryRun ? " (dry run: nothing removed)" : "");
        out.flush();
    }
}
