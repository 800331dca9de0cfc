package dev.walden.agent.archive;

import dev.walden.protocol.FetchNotice;
import java.time.Duration;

/**
 * What the agent observes as it works, for its metrics: called by the archiving core and the jobs
 * at the moment something happens, from whatever thread did it. Implementations must be cheap and
 * thread-safe and must never throw.
 *
 * <p>The core runs with {@link #NONE} when there is no HTTP endpoint, so it needs no metrics
 * library. Counts that {@code walden status} shows too (files archived, failures by reason, the
 * last archived file) are kept once, in {@link AgentStats}; this interface carries what only the
 * metrics need.
 */
public interface AgentMetrics {

    /** Records nothing. */
    AgentMetrics NONE = new AgentMetrics() {
        @Override
        public void pushAnswered(ArchiveResult result, Duration sinceReceived) {
        }

        @Override
        public void workerBusy(Duration busy) {
        }

        @Override
        public void fetched(FetchNotice.Result result) {
        }

        @Override
        public void dumpFinished(String database, Duration took) {
        }

        @Override
        public void repositoryChanged() {
        }

        @Override
        public void drillFinished(dev.walden.catalog.DrillLog.Drill drill, boolean ranHere) {
        }

        @Override
        public void verifyFinished(java.time.Instant at, boolean healthy, boolean ranHere) {
        }
    };

    /**
     * A PUSH got its answer: the file stored (or already stored), or an error.
     *
     * @param sinceReceived from the request's arrival to the answer; for a stored file, the time
     *     until it was durable in the repository
     */
    void pushAnswered(ArchiveResult result, Duration sinceReceived);

    /** A worker spent {@code busy} archiving one file, successfully or not. */
    void workerBusy(Duration busy);

    /** {@code walden fetch} reported one fetch (a FETCHED notice). */
    void fetched(FetchNotice.Result result);

    /** The agent's scheduled run dumped {@code database} successfully, in {@code took}. */
    void dumpFinished(String database, Duration took);

    /** A job (backup, dump, expiry) has changed what the repository holds; its figures are stale. */
    void repositoryChanged();

    /**
     * A restore drill ended (passed or failed), or, at start-up, the newest one recorded in the
     * repository.
     *
     * @param ranHere the agent ran it now; false for a record read at start-up (not counted again)
     */
    void drillFinished(dev.walden.catalog.DrillLog.Drill drill, boolean ranHere);

    /** walden verify ended at {@code at}, healthy or not; {@code ranHere} as for drills. */
    void verifyFinished(java.time.Instant at, boolean healthy, boolean ranHere);
}
