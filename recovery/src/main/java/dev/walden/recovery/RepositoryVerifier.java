package dev.walden.recovery;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.walden.catalog.BackupCatalog;
import dev.walden.catalog.BackupManifest;
import dev.walden.catalog.DumpCatalog;
import dev.walden.catalog.DumpManifest;
import dev.walden.catalog.RepositoryReport;
import dev.walden.catalog.WalCatalog;
import dev.walden.concurrent.DaemonThreads;
import dev.walden.console.ProgressBar;
import dev.walden.console.Sizes;
import dev.walden.crypto.EncryptingStorage;
import dev.walden.crypto.KeyUsage;
import dev.walden.repo.Checksums;
import dev.walden.repo.Compression;
import dev.walden.repo.Repository;
import dev.walden.repo.StreamedWal;
import dev.walden.wal.WalFileName;
import dev.walden.wal.WalSegmentSize;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

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
                         @JsonProperty("recoverable") RepositoryReport.Window recoverable,
                         @JsonProperty("windows") List<RepositoryReport.Window> windows,
                         @JsonProperty("keys") List<KeyUsage> keys) {

        /** Keys that are retired but still encrypt objects: what {@code walden key rewrap} would re-encrypt. */
        public List<KeyUsage> retiredInUse() {
            return keys.stream().filter(k -> k.retired() && k.objects() > 0).toList();
        }

        /** One line: what was checked and the first problem, as printed and as the audit log records it. */
        public String summary() {
            String checked = "checked " + objectsChecked + (objectsChecked == 1 ? " object (" : " objects (")
                    + Sizes.bytes(bytesChecked) + " of original data)";
            if (healthy) {
                return checked + ": healthy";
            }
            Problem first = problems.get(0);
            return checked + ": " + problems.size() + " problem(s), the first " + first.kind() + ": " + first.message();
        }
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
        Checks checks = new Checks();

        WalCatalog wal = WalCatalog.read(repository.storage(), size);
        for (WalCatalog.Archived a : wal.files()) {
            String what = "WAL object '" + a.wal().key() + "'";
            checks.add(a.wal().name().holdsWal() ? size.bytes() : 0, () -> repository.wal().open(a.wal()),
                    e -> new Problem("corrupt", a.wal().key(), naming(what, e)));
        }
        // streamed segments: what recover --latest replays past the archive (never counted as archived WAL)
        for (StreamedWal streamed : repository.stream().list()) {
            String what = "streamed object '" + streamed.key() + "'";
            checks.add(streamed.length(), () -> repository.stream().open(streamed),
                    e -> new Problem("corrupt", streamed.key(), naming(what, e)));
        }
        List<BackupCatalog.Entry> backups = new BackupCatalog(repository.storage()).list();
        // an incremental's files live in its parents' objects too: each object is read once, and a
        // problem with it names every backup that needs it
        Map<String, List<String>> users = new HashMap<>();
        for (BackupCatalog.Entry e : backups) {
            if (e.chainProblem() != null && e.manifest().map(BackupManifest::isComplete).orElse(false)) {
                checks.problems.add(new Problem("chain", e.label().value(), "backup " + e.label()
                        + " is unusable: " + e.chainProblem()));
            }
            if (!e.usable()) {
                continue; // never used for recovery; listed as such by walden list
            }
            BackupManifest m = e.manifest().orElseThrow();
            Compression compression = Compression.fromConfigName(m.compression());
            for (BackupManifest.BackupFile file : m.files()) {
                for (BackupManifest.StoredObject o : file.objects()) {
                    String key = o.key();
                    List<String> labels = users.computeIfAbsent(key, k -> new ArrayList<>());
                    labels.add(m.label());
                    if (labels.size() > 1) {
                        continue;
                    }
                    String what = "object '" + key + "'";
                    checks.add(o.size() > 0 ? o.size() : o.storedSize(), () -> Checksums.verifying(
                            compression.decompress(repository.storage().read(key)), o.sha256(), what),
                            ex -> new Problem("corrupt", key, "backup " + String.join(", ", labels) + ": "
                                    + naming(what, ex)));
                }
            }
            for (String name : List.of(m.startWal(), m.stopWal())) {
                if (!wal.contains(WalFileName.parse(name))) {
                    checks.problems.add(new Problem("missing", name, "backup " + m.label() + " needs WAL file " + name
                            + ", which is not in the repository"));
                }
            }
        }
        for (DumpCatalog.Entry d : new DumpCatalog(repository.storage()).list(Optional.empty())) {
            if (d.manifest().isEmpty()) {
                continue;
            }
            DumpManifest m = d.manifest().get();
            String what = "dump '" + d.key() + "'";
            checks.add(Math.max(0, m.originalBytes()), () -> Checksums.verifying(Compression.fromConfigName(
                    m.compression()).decompress(repository.storage().read(d.key())), m.sha256(), what),
                    ex -> new Problem("corrupt", d.key(), naming(what, ex)));
        }
        checks.run();

        List<Problem> problems = new ArrayList<>(checks.problems);
        for (WalCatalog.Gap gap : wal.gaps()) {
            problems.add(new Problem("gap", gap.after(), gap.missing() + " WAL file(s) missing on timeline "
                    + gap.timeline() + " between " + gap.after() + " and " + gap.before()));
        }
        RepositoryReport report = RepositoryReport.of(repository);
        if (report.windows().isEmpty()) {
            problems.add(new Problem("unrecoverable", "", "no usable base backup with its WAL: nothing can be recovered"));
        }
        problems.sort(java.util.Comparator.comparing(Problem::kind).thenComparing(Problem::object));
        List<KeyUsage> keys = repository.storage() instanceof EncryptingStorage encrypted ? KeyUsage.scan(encrypted)
                : List.of();
        return new Result(problems.isEmpty(), checks.objects.get(), checks.bytes.get(), problems, report.recoverable(),
                report.windows(), keys);
    }

    /** Opens an object's original bytes, verifying them as they are read. */
    private interface Opener {
        InputStream open() throws IOException;
    }

    /** The objects to read back, read by {@link #workers} threads under one progress bar. */
    private final class Checks {
        final List<Problem> problems = Collections.synchronizedList(new ArrayList<>());
        final AtomicLong objects = new AtomicLong();
        final AtomicLong bytes = new AtomicLong();
        private final List<Callable<Void>> tasks = new ArrayList<>();
        private long expected;
        private ProgressBar bar;

        /** @param expectedBytes what the object should hold, as the bar counts it */
        void add(long expectedBytes, Opener opener, Function<IOException, Problem> problem) {
            expected += expectedBytes;
            tasks.add(() -> {
                long n = 0;
                try (InputStream in = opener.open()) {
                    n = in.transferTo(java.io.OutputStream.nullOutputStream());
                } catch (IOException e) {
                    problems.add(problem.apply(e));
                }
                // checked, whether it passed or not; the bar counts what the object was to hold, so
                // it reaches 100 % with the last object even when some could not be read
                objects.incrementAndGet();
                bytes.addAndGet(n);
                bar.advance(expectedBytes);
                return null;
            });
        }

        void run() throws IOException {
            bar = new ProgressBar(progressOut, "verifying", tasks.size(), "objects", expected);
            RepositoryVerifier.this.run(tasks);
            bar.finish();
        }
    }

    /** Decompressors report damage without saying where; the operator needs the object's name. */
    private static String naming(String object, IOException e) {
        String message = String.valueOf(e.getMessage());
        return message.contains(object) ? message : object + ": " + message;
    }

    private void run(List<Callable<Void>> checks) throws IOException {
        ExecutorService pool = Executors.newFixedThreadPool(workers, DaemonThreads.named("walden-verify"));
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
