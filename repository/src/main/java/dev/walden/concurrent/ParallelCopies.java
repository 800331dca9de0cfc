package dev.walden.concurrent;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Runs copies of objects or files on a few worker threads, for backups, restores and staging.
 *
 * <p>On the first failure the copies not yet started are cancelled, and the call returns only
 * once those in flight have stopped: a caller then removes what it made, and a worker still
 * writing would put files back under a directory being removed, or leave an object behind.
 * Interrupting the workers is not enough, as a blocked read (a socket, a decompressor) may
 * ignore it; storages time their reads out well within {@link #STOP_WAIT}.
 */
public final class ParallelCopies {
    /** How long a failed run waits for the copies in flight. */
    static final Duration STOP_WAIT = Duration.ofMinutes(2);

    private ParallelCopies() {
    }

    /**
     * Runs {@code copies} on {@code workers} threads named {@code threadName}; returns their
     * results in order, or throws the first failure (an {@link IOException} as it was thrown).
     *
     * @param what what the copies do, for the message when interrupted ("restoring")
     */
    public static <T> List<T> run(String threadName, int workers, List<Callable<T>> copies, String what)
            throws IOException {
        ExecutorService pool = Executors.newFixedThreadPool(workers, DaemonThreads.named(threadName));
        try {
            List<Future<T>> futures = new ArrayList<>(copies.size());
            for (Callable<T> copy : copies) {
                futures.add(pool.submit(copy));
            }
            List<T> results = new ArrayList<>(futures.size());
            for (Future<T> f : futures) {
                results.add(f.get());
            }
            return results;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while " + what, e);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause().toString(), e.getCause());
        } finally {
            stop(pool, what);
        }
    }

    private static void stop(ExecutorService pool, String what) throws IOException {
        pool.shutdownNow();
        boolean interrupted = false;
        long deadline = System.nanoTime() + STOP_WAIT.toNanos();
        try {
            while (!pool.isTerminated()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new IOException("workers still busy " + STOP_WAIT.toSeconds() + " s after " + what
                            + " stopped; what they write may not be cleaned up");
                }
                try {
                    pool.awaitTermination(left, TimeUnit.NANOSECONDS);
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
