package dev.walden.agent.archive;

import dev.walden.concurrent.DaemonThreads;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Sees files become ready: a watch on {@code pg_wal/archive_status} (inotify on Linux) wakes it
 * when PostgreSQL creates a {@code .ready} file, and a full scan every {@code rescanEvery} is the
 * safety net for events a watch can lose (an overflow, a directory replaced). Each wake-up lists
 * the directory, which holds a handful of small files, and hands every ready name to the sink.
 */
public final class ReadyWatcher implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(ReadyWatcher.class.getName());
    private static final String SUFFIX = ".ready";

    private final Path archiveStatus;
    private final Duration rescanEvery;
    private final Consumer<List<String>> sink;
    private final WatchService watch;
    private final Thread thread;
    private volatile boolean stopped;

    /** @param sink gets every ready name at each wake-up, on the watcher's thread */
    public ReadyWatcher(Path archiveStatus, Duration rescanEvery, Consumer<List<String>> sink) throws IOException {
        this.archiveStatus = archiveStatus;
        this.rescanEvery = rescanEvery;
        this.sink = sink;
        this.watch = FileSystems.getDefault().newWatchService();
        archiveStatus.register(watch, StandardWatchEventKinds.ENTRY_CREATE);
        this.thread = DaemonThreads.start("walden-ready-watch", this::loop);
    }

    private void loop() {
        while (!stopped) {
            try {
                sink.accept(scan());
                WatchKey key = watch.poll(rescanEvery.toMillis(), TimeUnit.MILLISECONDS);
                if (key != null) {
                    key.pollEvents(); // which file doesn't matter: the next scan sees them all
                    key.reset();
                }
            } catch (InterruptedException | ClosedWatchServiceException e) {
                return;
            } catch (IOException | RuntimeException e) {
                // pg_wal unreadable for a moment, say: PostgreSQL's pushes still work; try again later
                LOG.log(Level.WARNING, "look-ahead: cannot scan " + archiveStatus + ": " + e.getMessage());
                try {
                    Thread.sleep(rescanEvery.toMillis());
                } catch (InterruptedException interrupted) {
                    return;
                }
            }
        }
    }

    /** The names (without {@code .ready}) PostgreSQL has marked ready, in directory order. */
    List<String> scan() throws IOException {
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(archiveStatus, "*" + SUFFIX)) {
            for (Path entry : entries) {
                String file = entry.getFileName().toString();
                names.add(file.substring(0, file.length() - SUFFIX.length()));
            }
        }
        return names;
    }

    @Override
    public void close() {
        stopped = true;
        thread.interrupt();
        try {
            watch.close();
            thread.join(TimeUnit.SECONDS.toMillis(5));
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "closing the watch: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
