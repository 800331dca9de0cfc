package dev.walden.cli.recovery;

import dev.walden.catalog.BackupManifest;
import dev.walden.catalog.DrillLog;
import dev.walden.catalog.RepositoryReport;
import dev.walden.catalog.WalCatalog;
import dev.walden.cli.options.ConfigOption;
import dev.walden.config.ConfigException;
import dev.walden.console.Sizes;
import dev.walden.repo.Json;
import dev.walden.repo.Repository;
import dev.walden.repo.StorageFactory;
import dev.walden.storage.Storage;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code walden list}: what the repository can restore. */
@Command(name = "list", mixinStandardHelpOptions = true,
        description = {"Show what the repository can restore: base backups (usable or not, and why), dumps per "
                + "database, WAL per timeline with any gap, and the recoverable windows (split wherever WAL is "
                + "missing).",
                "Reads the repository directly; no agent needed."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:shown", "1:the repository could not be read; the message says why"})
public final class ListCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ConfigOption config;

    @Option(names = "--json", description = "machine-readable output")
    boolean json;

    @Override
    public Integer call() throws ConfigException, IOException {
        try (Storage storage = StorageFactory.open(config.locate())) {
            RepositoryReport report = RepositoryReport.of(Repository.open(storage));
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                out.println(Json.MAPPER.writeValueAsString(report));
            } else {
                print(report, out);
            }
            out.flush();
        }
        return 0;
    }

    static void print(RepositoryReport r, PrintWriter out) {
        out.printf("repository %s, system %s, PostgreSQL %d%s%n%n", r.repository(), r.systemIdentifier(), r.pgMajor(),
                r.encryption().equals("none") ? "" : ", encrypted (" + r.encryption() + ")");
        out.println("Base backups");
        if (r.backups().isEmpty()) {
            out.println("  none");
        }
        for (RepositoryReport.Backup b : r.backups()) {
            out.printf("  %-17s %-4s %-11s %s -> %s  %s .. %s  %s (%s stored%s)%s%s%n", b.label(),
                    b.type() == null ? "-" : b.type(),
                    b.usable() ? "usable" : BackupManifest.COMPLETE.equals(b.status()) ? "unusable" : b.status(),
                    time(b.startTime()), orDash(b.stopTime()),
                    b.startLsn() == null ? "-" : b.startLsn(), b.stopLsn() == null ? "-" : b.stopLsn(),
                    b.originalBytes() == null ? "-" : size(b.originalBytes()), size(b.storedBytes()),
                    b.parent() == null ? "" : "; on " + b.parent() + ", chain " + size(b.chainBytes()),
                    b.durationSeconds() == null ? "" : ", " + b.durationSeconds() + " s",
                    b.statusDetail() == null ? "" : "  (" + b.statusDetail() + ")");
        }
        out.println();
        out.println("Dumps");
        if (r.dumps().isEmpty()) {
            out.println("  none");
        }
        for (RepositoryReport.Dump d : r.dumps()) {
            out.printf("  %-20s %-25s %10s  %s%s%n", d.database(), d.time().replaceAll("\\.\\d+", ""),
                    size(d.storedBytes()),
                    d.verified() ? "verified" : "NOT verified", d.latest() ? "  <- latest" : "");
        }
        out.println();
        out.printf("WAL: %d files, %s stored%n", r.wal().files(), size(r.wal().storedBytes()));
        for (WalCatalog.Range range : r.wal().ranges()) {
            out.printf("  timeline %d: %s .. %s (%d segments)%n", range.timeline(), range.first(), range.last(),
                    range.segments());
        }
        for (WalCatalog.Gap gap : r.wal().gaps()) {
            out.printf("  GAP on timeline %d: %d segment(s) missing between %s and %s%n", gap.timeline(), gap.missing(),
                    gap.after(), gap.before());
        }
        out.println();
        printWindows(r.windows(), out);
        printDrills(r.lastDrill(), r.lastSuccessfulDrill(), out);
    }

    /** The newest restore drill, and the newest that passed when that is another one: "is it proven?". */
    static void printDrills(DrillLog.Drill last, DrillLog.Drill lastSuccess, PrintWriter out) {
        if (last == null) {
            out.println("Restore drills: none yet ('walden drill' proves the repository restores)");
            return;
        }
        out.println("Last restore drill: " + describe(last));
        if (!last.ok()) {
            out.println("Last passed drill: " + (lastSuccess == null ? "none" : describe(lastSuccess)));
        }
    }

    private static String describe(DrillLog.Drill d) {
        return time(d.time()) + " " + (d.ok() ? "passed" : "FAILED") + (d.backup() == null ? "" : ", backup " + d.backup())
                + (d.ok() ? String.format(", RTO %.1f s", d.rto().orElse(0.0)) : ": " + d.failure());
    }

    /**
     * The recoverable windows: one line when WAL runs unbroken, else one line per window, so a gap
     * is never read as recoverable.
     */
    static void printWindows(List<RepositoryReport.Window> windows, PrintWriter out) {
        if (windows.isEmpty()) {
            out.println("Recoverable: nothing yet (no usable base backup with its WAL)");
            return;
        }
        if (windows.size() == 1) {
            out.println("Recoverable: " + describe(windows.get(0)));
            return;
        }
        out.println("Recoverable, in " + windows.size() + " windows (missing WAL splits them; nothing between them "
                + "can be recovered):");
        for (RepositoryReport.Window w : windows) {
            out.println("  " + describe(w));
        }
    }

    private static String describe(RepositoryReport.Window w) {
        if (w.streamedTo() != null) {
            return String.format("from %s (end of backup %s) to about %s (streamed to %s in %s, %d s ago)",
                    time(w.earliest()), w.fromBackup(), time(w.latest()), w.streamedTo(), w.latestWal(),
                    w.streamedAgeSeconds());
        }
        return String.format("from %s (end of backup %s) to about %s (%s archived)", time(w.earliest()), w.fromBackup(),
                time(w.latest()), w.latestWal());
    }

    private static String orDash(String s) {
        return s == null ? "-" : time(s);
    }

    /** ISO instants to the second, for people; anything else as it is. */
    private static String time(String s) {
        try {
            return java.time.Instant.parse(s).truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
        } catch (java.time.format.DateTimeParseException e) {
            return s;
        }
    }

    private static String size(long bytes) {
        return Sizes.bytes(bytes);
    }
}
