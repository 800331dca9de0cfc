package dev.walden.agent;

import dev.walden.agent.archive.SegmentArchiver;
import java.util.Optional;

/**
 * The heap the agent's settings may need at once, against the JVM's limit. The launcher sizes the
 * agent's JVM for the default settings (bin/walden: {@code -Xmx192m}); more workers, or S3 with its
 * part buffers, may need more, and running out ends the agent. So the agent says so at start, with
 * the option that fixes it, instead of failing under load at 3 a.m.
 *
 * <p>At once, at most: each archiving worker holds one file's compressed copy
 * ({@link SegmentArchiver#MAX_HELD_BYTES}) and one storage writer's buffer; each backup worker one
 * writer's buffer; everything else (Netty, the metrics, the scheduler, the index of archived files,
 * a fetch's buffers) fits in {@link #BASE_BYTES}, measured at about 10 MiB live in the drain bench.
 *
 * @param archiveWorkers agent.workers
 * @param backupWorkers backup.workers
 * @param writerBytes the storage's {@code writerMemoryBytes()}
 * @param streamBytes what the WAL stream holds at once (agent.stream = on), 0 when off:
 *     {@link dev.walden.agent.stream.WalStreamer#heapBytes}
 */
public record HeapBudget(int archiveWorkers, int backupWorkers, long writerBytes, long streamBytes) {
    static final long BASE_BYTES = 48L * 1024 * 1024;
    private static final long MIB = 1024 * 1024;

    /** Without streaming. */
    public HeapBudget(int archiveWorkers, int backupWorkers, long writerBytes) {
        this(archiveWorkers, backupWorkers, writerBytes, 0);
    }

    /** The most the settings may hold at once. */
    public long neededBytes() {
        return BASE_BYTES + archiveWorkers * (SegmentArchiver.MAX_HELD_BYTES + writerBytes) + backupWorkers * writerBytes
                + streamBytes;
    }

    /** A one-line warning when {@code maxHeapBytes} (the JVM's -Xmx) is below what is needed. */
    public Optional<String> warning(long maxHeapBytes) {
        long needed = neededBytes();
        if (maxHeapBytes >= needed) {
            return Optional.empty();
        }
        long suggested = (needed + 16 * MIB - 1) / (16 * MIB) * 16;
        return Optional.of("the JVM's heap limit (" + maxHeapBytes / MIB + " MiB) is below the " + needed / MIB
                + " MiB that agent.workers = " + archiveWorkers + " and backup.workers = " + backupWorkers
                + (writerBytes > 0 ? " with " + writerBytes / MIB + " MiB per storage writer" : "")
                + (streamBytes > 0 ? " and the WAL stream (" + streamBytes / MIB + " MiB)" : "")
                + " may hold at once; running out would stop the agent: set WALDEN_JAVA_OPTS=-Xmx" + suggested
                + "m in the agent's environment (docs/operations.md#the-agents-memory)");
    }
}
