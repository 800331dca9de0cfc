package dev.walden.recovery;

import dev.walden.concurrent.ParallelCopies;
import dev.walden.console.ProgressBar;
import dev.walden.repo.Repository;
import dev.walden.repo.WalFetcher;
import dev.walden.wal.WalFileName;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * Fetches the WAL a recovery needs into a local directory before PostgreSQL starts, in
 * parallel and verified, so that restore_command is a plain copy: recovery then runs at disk
 * speed instead of paying a fetch per segment. A file that was not staged is handed to
 * {@code walden fetch}: the staged range is what the plan could know to be needed, and a recovery
 * to a time may need more (the first commit after the target can sit in a later segment than the
 * first one archived after the target, when archiving lagged a switch), as may {@code --latest}
 * while production keeps archiving.
 */
final class WalStager {
    static final String SCRIPT = "restore-wal.sh";

    private final Repository repository;
    private final int workers;

    WalStager(Repository repository, int workers) {
        this.repository = repository;
        this.workers = workers;
    }

    /**
     * Stages the files; returns the restore_command to use (unquoted: the caller quotes it for the
     * config file).
     *
     * @param fetch the {@code walden fetch} command (without its two arguments) for files that were
     *              not staged; empty: such a file is reported as not archived
     */
    String stage(List<WalFileName> files, Path directory, Optional<String> fetch, PrintWriter out)
            throws IOException {
        Files.createDirectories(directory, PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwx------")));
        long segmentBytes = repository.cluster().segmentSize().bytes();
        long walBytes = files.stream().filter(WalFileName::holdsWal).count() * segmentBytes;
        ProgressBar progress = new ProgressBar(out, "staging WAL", files.size(), "files", walBytes);
        WalFetcher fetcher = new WalFetcher(repository);
        List<Callable<Void>> copies = new ArrayList<>();
        for (WalFileName name : files) {
            copies.add(() -> {
                if (!fetcher.fetch(name, directory.resolve(name.toString()))) {
                    throw new IOException("WAL file " + name + " vanished from the repository while staging");
                }
                progress.advance(name.holdsWal() ? segmentBytes : 0);
                return null;
            });
        }
        ParallelCopies.run("walden-stage", workers, copies, "staging WAL");
        progress.finish();
        Path script = directory.resolve(SCRIPT);
        Files.writeString(script, """
                #!/bin/sh
                # restore_command of a recovery walden prepared: the WAL it was known to need is
                # staged here, verified; anything else comes from the repository. A failed copy
                # is a real error and stops recovery.
                if [ -f "%1$s/$1" ]; then
                    cp "%1$s/$1" "$2" || exit 201
                    exit 0
                fi
                %2$s
                """.formatted(directory, fetch.map(f -> "exec " + f + " \"$1\" \"$2\"").orElse("exit 1")));
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
        return "\"" + script + "\" %f %p";
    }
}
