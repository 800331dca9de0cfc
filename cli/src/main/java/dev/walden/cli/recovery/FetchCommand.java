package dev.walden.cli.recovery;

import dev.walden.cli.options.ConfigOption;
import dev.walden.config.ConfigException;
import dev.walden.config.ConfigKeys;
import dev.walden.config.ConfigSource;
import dev.walden.config.Durations;
import dev.walden.protocol.FetchNotice;
import dev.walden.recovery.FetchNoticeSender;
import dev.walden.recovery.ProcessDeadline;
import dev.walden.repo.WalFetcher;
import dev.walden.repo.CorruptObjectException;
import dev.walden.repo.Repository;
import dev.walden.repo.StorageFactory;
import dev.walden.storage.Storage;
import dev.walden.wal.WalFileName;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code walden fetch %f %p}: PostgreSQL's restore_command. Reads the repository directly, so it
 * works with no agent running.
 *
 * <p>Exit codes follow PostgreSQL's rules: 1 means "not in the archive", which PostgreSQL treats
 * as the normal end of archived WAL; every real failure exits above 125 so that recovery stops
 * instead of ending early at the wrong point.
 */
@Command(name = "fetch", mixinStandardHelpOptions = true,
        description = {"Fetch one archived WAL file: restore_command = 'walden fetch %%f %%p'.",
                "Reads the repository directly (no agent needed), verifies the checksum and writes the file under a "
                        + "temporary name, renaming it to PATH only when it is complete."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
                "0:the file was written to PATH",
                "1:the repository does not hold the file (PostgreSQL's normal \"not found\")",
                "200:bad arguments or configuration, or Java could not start",
                "201:the repository could not be read, or PATH could not be written",
                "202:the stored file is corrupt (checksum mismatch, undecodable, duplicated)"})
public final class FetchCommand implements Callable<Integer> {
    /** The launcher's "not found" exit: what PostgreSQL reads as the end of archived WAL. */
    public static final int NOT_FOUND = 1;
    /**
     * What the JVM returns for "not found". bin/walden turns it into {@link #NOT_FOUND} and turns
     * every other exit from 1 to 125 into {@link #USAGE}: a JVM that fails to start (no Java, bad
     * WALDEN_JAVA_OPTS) also exits 1, and PostgreSQL must not mistake that for "not found".
     */
    public static final int NOT_FOUND_FROM_JVM = 100;
    public static final int USAGE = 200;
    public static final int IO_ERROR = 201;
    public static final int CORRUPT = 202;

    @Spec
    CommandSpec spec;

    @Mixin
    ConfigOption config;

    @Parameters(index = "0", paramLabel = "NAME", description = "WAL file name, PostgreSQL's %%f")
    String name;

    @Parameters(index = "1", paramLabel = "PATH", description = "where to write it, PostgreSQL's %%p")
    String path;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        WalFileName walName;
        Path destination;
        try {
            walName = WalFileName.parse(name);
            destination = Path.of(path).toAbsolutePath();
        } catch (IllegalArgumentException e) { // InvalidPathException too
            err.println("walden fetch: " + e.getMessage());
            return USAGE;
        }
        ConfigSource source;
        Duration timeout;
        try {
            source = config.locate();
            timeout = source.duration(ConfigKeys.FETCH_TIMEOUT);
        } catch (ConfigException e) {
            err.println("walden fetch: " + e.getMessage());
            return USAGE;
        }
        ProcessDeadline deadline = ProcessDeadline.start(timeout, () -> {
            err.println("walden fetch: '" + walName + "' not fetched within " + Durations.format(timeout)
                    + " (fetch.timeout): is the repository hung?");
            err.flush();
            try {
                Files.deleteIfExists(WalFetcher.temporaryPath(destination));
            } catch (IOException ignored) {
                // the process ends now anyway; a leftover temporary file is harmless to PostgreSQL
            }
            Runtime.getRuntime().halt(IO_ERROR);
        });
        int exit;
        try {
            exit = fetch(source, walName, destination, err);
        } finally {
            deadline.close();
        }
        // After the deadline is gone, so the notice can never turn a finished fetch into a timeout.
        FetchNoticeSender.send(source, walName.toString(), exit == 0 ? FetchNotice.Result.FOUND
                : exit == NOT_FOUND_FROM_JVM ? FetchNotice.Result.MISSING : FetchNotice.Result.FAILED);
        return exit;
    }

    private static int fetch(ConfigSource source, WalFileName walName, Path destination, PrintWriter err) {
        Storage storage;
        try {
            storage = StorageFactory.open(source);
        } catch (ConfigException e) {
            err.println("walden fetch: " + e.getMessage());
            return USAGE;
        } catch (IOException e) {
            err.println("walden fetch: cannot open the repository: " + e.getMessage());
            return IO_ERROR;
        }
        try (storage) {
            boolean found = new WalFetcher(Repository.open(storage)).fetch(walName, destination);
            if (!found) {
                // PostgreSQL probes for files that don't exist yet (the next timeline, the next
                // segment in standby mode) every few seconds; say so only to a person.
                if (System.console() != null) {
                    err.println("walden fetch: '" + walName + "' is not in " + storage.describe());
                }
                return NOT_FOUND_FROM_JVM;
            }
            return 0;
        } catch (CorruptObjectException e) {
            err.println("walden fetch: " + e.getMessage());
            return CORRUPT;
        } catch (IOException e) {
            err.println("walden fetch: " + e.getMessage());
            return IO_ERROR;
        } catch (RuntimeException e) { // e.g. DirectoryIteratorException: still a real error, never "not found"
            err.println("walden fetch: " + e);
            return IO_ERROR;
        }
    }
}
