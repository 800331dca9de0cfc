package dev.walden.recovery;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.walden.catalog.BackupCatalog;
import dev.walden.catalog.BackupManifest;
import dev.walden.catalog.DumpCatalog;
import dev.walden.catalog.DumpManifest;
import dev.walden.catalog.WalCatalog;
import dev.walden.console.ProgressBar;
import dev.walden.repo.Checksums;
import dev.walden.repo.Compression;
import dev.walden.repo.Repository;
import dev.walden.wal.WalFileName;
import dev.walden.wal.WalSegmentSize;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Reads every object of a repository back and checks it against the checksum it was stored
 * with, and checks that WAL runs without a gap from each usable base backup to the newest
 * archived file: what must hold for a recovery to work, checked before one is needed.
 */
public final class RepositoryVerifier {

    /** One thing that is wrong, naming the object or the missing file. */
    public record Problem(@JsonProperty("kind") String kind, @JsonProperty("object") String object,
                          @JsonProperty("message") String message) {
    }

    public record Result(@JsonProperty("healthy") boolean healthy,
                         @JsonProperty("objects_checked") long objectsChecked,
                         @JsonProperty("bytes_checked") long bytesChecked,
                         @JsonProperty("problems") List<Problem> problems,
                         @JsonProperty("recoverable") RepositoryReport.Window recoverable) {
    }

    private final Repository repository;
    private final int workers;
    private final PrintWriter progressOut;

    /** @param progressOut where the progress bar goes (stderr when stdout carries JSON) */
    public RepositoryVerifier(Repository repository, int workers, PrintWriter progressOut) {
        this.repository = repository;
        this.workers = workers;
        this.progressOut = progressOut;
    }

    public Result verify() throws IOException {
        WalSegmentSize size = repository.cluster().segmentSize();
        List<Problem> problems = Collections.synchronizedList(new ArrayList<>());
        AtomicLong objects = new AtomicLong();
        AtomicLong bytes = new AtomicLong();
        List<Callable<Void>> checks = new ArrayList<>();
        // the checks are listed before the bar knows its totals; they find it here when they run
        AtomicReference<ProgressBar> progress = new AtomicReference<>();
        AtomicLong expected = new AtomicLong();

        WalCatalog wal = WalCatalog.read(repository.storage(), size);
        for (WalCatalog.Archived a : wal.files()) {
            expected.addAndGet(a.wal().name().holdsWal() ? size.bytes() : 0);
            checks.add(() -> {
                long n = 0;
                try (InputStream in = repository.wal().open(a.wal())) {
                    n = in.transferTo(java.io.OutputStream.nullOutputStream());
                    objects.incrementAndGet();
                } catch (IOException e) {
                    problems.add(new Problem("corrupt", a.wal().key(), naming("WAL object '" + a.wal().key() + "'", e)));
                }
                bytes.addAndGet(n);
                progress.get().advance(n);
                return null;
            });
        }
        List<BackupCatalog.Entry> backups = new BackupCatalog(repository.storage()).list();
        for (BackupCatalog.Entry e : backups) {
            if (!e.usable()) {
                continue; // never used for recovery; listed as such by walden list
            }
            BackupManifest m = e.manifest().orElseThrow();
            Compression compression = Compression.fromConfigName(m.compression());
            for (BackupManifest.BackupFile file : m.files()) {
                expected.addAndGet(file.size());
                checks.add(() -> {
                    long n = 0;
                    try (InputStream in = Checksums.verifying(compression.decompress(repository.storage()
                            .read(file.key())), file.sha256(), "object '" + file.key() + "'")) {
                        n = in.transferTo(java.io.OutputStream.nullOutputStream());
                        objects.incrementAndGet();
                    } catch (IOException ex) {
                        problems.add(new Problem("corrupt", file.key(),
                                "backup " + m.label() + ": " + naming("object '" + file.key() + "'", ex)));
                    }
                    bytes.addAndGet(n);
                    progress.get().advance(n);
                    return null;
                });
            }
            for (String name : List.of(m.startWal(), m.stopWal())) {
                if (!wal.contains(WalFileName.parse(name))) {
                    problems.add(new Problem("missing", name, "backup " + m.label() + " needs WAL file " + name
                            + ", which is not in the repository"));
                }
            }
        }
        for (DumpCatalog.Entry d : new DumpCatalog(repository.storage()).list(Optional.empty())) {
            if (d.manifest().isEmpty()) {
                continue;
            }
            DumpManifest m = d.manifest().get();
            expected.addAndGet(Math.max(0, m.originalBytes()));
            checks.add(() -> {
                Compression compression = Compression.fromConfigName(m.compression());
                long n = 0;
                try (InputStream in = Checksums.verifying(compression.decompress(repository.storage().read(d.key())),
                        m.sha256(), "dump '" + d.key() + "'")) {
                    n = in.transferTo(java.io.OutputStream.nullOutputStream());
                    objects.incrementAndGet();
                } catch (IOException ex) {
                    problems.add(new Problem("corrupt", d.key(), naming("dump '" + d.key() + "'", ex)));
                }
                bytes.addAndGet(n);
                progress.get().advance(n);
                return null;
            });
        }
        progress.set(new ProgressBar(progressOut, "verifying", checks.size(), "objects", expected.get()));
        run(checks);
        progress.get().finish();

        for (WalCatalog.Gap gap : wal.gaps()) {
            problems.add(new Problem("gap", gap.after(), gap.missing() + " WAL file(s) missing on timeline "
                    + gap.timeline() + " between " + gap.after() + " and " + gap.before()));
        }
        RepositoryReport report = RepositoryReport.of(repository);
        if (report.recoverable() == null) {
            problems.add(new Problem("unrecoverable", "", "no usable base backup with its WAL: nothing can be recovered"));
        }
        List<Problem> sorted = new ArrayList<>(problems);
        sorted.sort(java.util.Comparator.comparing(Problem::kind).thenComparing(Problem::object));
        return new Result(sorted.isEmpty(), objects.get(), bytes.get(), sorted, report.recoverable());
    }

    /** Decompressors report damage without saying where; the operator needs the object's name. */
    private static String naming(String object, IOException e) {
        String message = String.valueOf(e.getMessage());
        return message.contains(object) ? message : object + ": " + message;
    }

    private void run(List<Callable<Void>> checks) throws IOException {
        ExecutorService pool = Executors.newFixedThreadPool(workers, r -> {
            Thread t = new Thread(r, "walden-verify");
            t.setDaemon(true);
            return t;
        });
        try {
            for (Future<Void> f : pool.invokeAll(checks)) {
                f.get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while verifying", e);
        } catch (ExecutionException e) {
            throw new IOException(e.getCause().toString(), e.getCause());
        } finally {
            pool.shutdownNow();
        }
    }
}
