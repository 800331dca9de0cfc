package dev.walden.cli.setup;

import dev.walden.catalog.AuditLog;
import dev.walden.cli.options.ConfigOption;
import dev.walden.config.ConfigException;
import dev.walden.config.Durations;
import dev.walden.console.Sizes;
import dev.walden.repo.Json;
import dev.walden.repo.StorageFactory;
import dev.walden.storage.Storage;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code walden audit}: the trail of backups, dumps, expiries, restores, recoveries and checks. */
@Command(name = "audit", mixinStandardHelpOptions = true,
        description = {"Show the audit trail: every base backup, dump, expiry, restore, recovery and check, with who ran "
                + "it (OS user, host, pid), what and on which target, how it ended and how long it took.",
                "The trail lives in the repository (audit/, one object per event, never rewritten or expired by "
                        + "walden), so it records what every host did with this repository."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:shown", "1:the repository or an entry could not be read"})
public final class AuditCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ConfigOption config;

    @Option(names = "--since", paramLabel = "WHEN",
            description = "only events from this instant (2026-12-01T00:00:00Z) or this long ago (7d, 12h)")
    String since;

    @Option(names = "--json", description = "machine-readable output")
    boolean json;

    @Override
    public Integer call() throws ConfigException {
        PrintWriter out = spec.commandLine().getOut();
        Optional<Instant> from = since == null ? Optional.empty() : Optional.of(parseSince(since));
        List<AuditLog.Entry> entries;
        try (Storage storage = StorageFactory.open(config.locate())) {
            entries = new AuditLog(storage).read(from);
        } catch (IOException e) {
            spec.commandLine().getErr().println("walden audit: " + e.getMessage());
            return 1;
        }
        if (json) {
            Json.print(out, Map.of("entries", entries));
            return 0;
        }
        if (entries.isEmpty()) {
            out.println("no audit entries" + (since == null ? "" : " since " + from.orElseThrow()));
        }
        for (AuditLog.Entry e : entries) {
            out.printf("%s  %-7s %-6s %s  by %s@%s (%s)  %s  %s%n",
                    Instant.parse(e.time()).truncatedTo(ChronoUnit.SECONDS), e.action(), e.result(), e.target(),
                    e.user(), e.host(), e.trigger(), Sizes.clock(Duration.ofMillis(Math.round(e.durationSeconds() * 1000))),
                    e.detail() == null ? "" : e.detail());
        }
        out.flush();
        return 0;
    }

    private Instant parseSince(String text) {
        try {
            return Instant.parse(text);
        } catch (DateTimeParseException notAnInstant) {
            try {
                return Instant.now().minus(Durations.parse(text));
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), "--since: '" + text + "' is neither an instant "
                        + "(2026-12-01T00:00:00Z) nor a duration (7d, 12h)");
            }
        }
    }
}
