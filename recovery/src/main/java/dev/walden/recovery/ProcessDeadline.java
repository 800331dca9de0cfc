package dev.walden.recovery;

import dev.walden.concurrent.DaemonThreads;
import java.time.Duration;

/**
 * A deadline for a whole command. Blocking file and network reads can't be interrupted reliably
 * (a hung NFS mount ignores everything), so when the deadline passes the action runs on its own
 * thread and is expected to end the process.
 */
public final class ProcessDeadline implements AutoCloseable {
    private final Thread timer;

    private ProcessDeadline(Thread timer) {
        this.timer = timer;
    }

    /** Runs {@code onExpiry} after {@code timeout} unless closed first. */
    public static ProcessDeadline start(Duration timeout, Runnable onExpiry) {
        Thread timer = DaemonThreads.start("walden-deadline", () -> {
            try {
                Thread.sleep(timeout.toMillis());
            } catch (InterruptedException e) {
                return; // closed in time
            }
            onExpiry.run();
        });
        return new ProcessDeadline(timer);
    }

    @Override
    public void close() {
        timer.interrupt();
    }
}
