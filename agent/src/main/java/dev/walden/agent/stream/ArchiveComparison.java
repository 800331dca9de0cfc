package dev.walden.agent.stream;

import dev.walden.repo.Repository;
import dev.walden.repo.StoredWal;
import dev.walden.repo.StreamedWal;
import dev.walden.wal.WalFileName;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Optional;

/**
 * Holds each streamed segment up against the copy archive_command stores, once that exists.
 * archive_command is the source of truth for complete segments: a streamed one that matches is
 * deleted (the archived copy serves), one that differs is an alarm (logged, counted) and deleted
 * too, so the archived copy is the one recovery uses. A streamed segment never archived stays:
 * recovery then uses it. Checks run in segment order, a few a second, on the streamer's thread.
 */
final class ArchiveComparison {
    private static final System.Logger LOG = System.getLogger(ArchiveComparison.class.getName());
    /** Compared at most this many a round: archiving runs in order, so the oldest are the ones to look for. */
    static final int PER_ROUND = 8;
    /** Waiting this long for an archived copy, a segment is given up on (it stays; recovery may use it). */
    static final Duration GIVE_UP_AFTER = Duration.ofMinutes(30);
    static final int MAX_PENDING = 4096;

    private record Pending(StreamedWal streamed, Instant since) {
    }

    private final Repository repository;
    private final StreamState state;
    private final Clock clock;
    private final ArrayDeque<Pending> pending = new ArrayDeque<>();

    ArchiveComparison(Repository repository, StreamState state, Clock clock) {
        this.repository = repository;
        this.state = state;
        this.clock = clock;
    }

    /** Logs a streamed segment that differs from the archived copy {@code archivedKey}. */
    static void alarm(WalFileName segment, String archivedKey, String streamed) {
        LOG.log(Level.ERROR, "streamed " + segment + " differs from the copy archive_command stored (" + archivedKey
                + " vs " + streamed + "); the archived copy is the one recovery uses");
    }

    /** A segment the stream finished. */
    void add(StreamedWal whole) {
        if (pending.size() >= MAX_PENDING) {
            Pending dropped = pending.removeFirst();
            LOG.log(Level.WARNING, "streamed " + dropped.streamed().segment() + " is not compared with its archived copy: "
                    + MAX_PENDING + " segments wait for archive_command");
        }
        pending.addLast(new Pending(whole, clock.instant()));
    }

    /**
     * At the start of a session: every streamed object before {@code current} that a previous
     * session left (a finished segment not compared yet, or a prefix the stream never finished)
     * waits for its archived copy too.
     */
    void loadStored(WalFileName current) throws IOException {
        pending.clear();
        for (StreamedWal s : repository.stream().list()) {
            if (s.segment().timeline() != current.timeline()
                    || s.segment().segmentName().compareTo(current.segmentName()) < 0) {
                pending.addLast(new Pending(s, clock.instant()));
            }
        }
    }

    /** Compares what has been archived since the last round. */
    void check() throws IOException {
        for (int i = 0; i < PER_ROUND && !pending.isEmpty(); i++) {
            Pending next = pending.peekFirst();
            StreamedWal streamed = next.streamed();
            Optional<StoredWal> archived = repository.wal().find(streamed.segment());
            if (archived.isEmpty()) {
                if (next.since().plus(GIVE_UP_AFTER).isBefore(clock.instant())) {
                    pending.removeFirst();
                    LOG.log(Level.WARNING, "streamed " + streamed.segment() + " has no archived copy after "
                            + GIVE_UP_AFTER.toMinutes() + " minutes; it stays in " + StreamedWal.ROOT
                            + " (is archive_command failing?)");
                    continue;
                }
                return; // archiving runs in order: the later ones are not there either
            }
            pending.removeFirst();
            if (streamed.complete(repository.cluster().segmentSize())) {
                boolean same = archived.get().contentName().equals(streamed.contentName());
                state.compared(same);
                if (!same) {
                    alarm(streamed.segment(), archived.get().key(), streamed.key());
                }
            }
            repository.stream().delete(streamed.segment());
        }
    }
}
