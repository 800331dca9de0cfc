package dev.walden.concurrent;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * walden's own threads: daemon threads, so that none of them keeps a command or the agent alive
 * once its main thread is done, each named {@code walden-…} so that a thread dump says whose it is.
 */
public final class DaemonThreads {
    private DaemonThreads() {
    }

    /** Threads all named {@code name}: for one-thread executors, or pools whose threads do the same work. */
    public static ThreadFactory named(String name) {
        return r -> daemon(r, name);
    }

    /** Threads named {@code prefix-1}, {@code prefix-2}, …: for pools whose threads a dump should tell apart. */
    public static ThreadFactory numbered(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> daemon(r, prefix + "-" + n.incrementAndGet());
    }

    /** Starts {@code body} on a daemon thread named {@code name}. */
    public static Thread start(String name, Runnable body) {
        Thread t = daemon(body, name);
        t.start();
        return t;
    }

    private static Thread daemon(Runnable body, String name) {
        Thread t = new Thread(body, name);
        t.setDaemon(true);
        return t;
    }
}
