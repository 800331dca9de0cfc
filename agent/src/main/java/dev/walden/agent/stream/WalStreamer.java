package dev.walden.agent.stream;

import dev.walden.db.Database;
import dev.walden.repo.Compression;
import dev.walden.repo.Repository;
import dev.walden.repo.StreamedWal;
import dev.walden.wal.ClusterIdentity;
import dev.walden.wal.Lsn;
import dev.walden.wal.WalFileName;
import dev.walden.wal.WalPageHeader;
import dev.walden.wal.WalSegmentSize;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.postgresql.PGConnection;
import org.postgresql.replication.LogSequenceNumber;
import org.postgresql.replication.PGReplicationStream;

/**
 * Streams the cluster's WAL into the repository over a physical replication connection, through
 * the agent's own slot, on a thread of its own. The segment being written is held in memory and
 * stored as a {@link StreamedWal} at most {@link StreamSettings#flush()} after WAL arrives (at
 * once in synchronous mode). A finished segment is held too, until archive_command's copy of it
 * is in the repository (then it is compared, and nothing is stored: under a write-heavy load the
 * archive keeps up, and storing every segment twice would cost the database's CPUs) or the flush
 * interval has passed (then it is stored; in synchronous mode at once). Flush is confirmed to
 * PostgreSQL only up to the first byte not durable in the repository, so the slot never lets go
 * of WAL that is not stored, and pg_stat_replication's flush_lsn is what the repository holds.
 *
 * <p>A session starts at the beginning of the segment holding the slot's restart_lsn (every
 * segment object starts at offset 0), and ends on any error; the next one starts after a pause
 * that doubles up to {@link #RETRY_MAX}. A slot PostgreSQL invalidated is reported and made
 * again: the WAL it let go of was archived by archive_command (PostgreSQL removes no segment
 * before it is archived), so only the stream's copy has a hole.
 */
public final class WalStreamer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(WalStreamer.class.getName());
    static final Duration RETRY_MIN = Duration.ofSeconds(1);
    static final Duration RETRY_MAX = Duration.ofSeconds(30);
    static final Duration PROBE_EVERY = Duration.ofSeconds(1);
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(30);
    /** How often a finished segment's archived copy is looked for. */
    static final Duration LOOK_EVERY = Duration.ofMillis(50);
    /** Segments larger than this are not streamed: one is held in the agent's heap. */
    public static final int MAX_SEGMENT_BYTES = 64 << 20;

    private final StreamSettings settings;
    private final Repository repository;
    private final ClusterIdentity cluster;
    private final WalSegmentSize size;
    private final Compression compression;
    private final int level;
    private final StreamState state;
    private final ArchiveComparison comparison;
    private final Thread thread;
    /** The segment being received. */
    private byte[] segment;
    /** The last segment finished, until it is archived or stored. */
    private byte[] spare;
    /** Where the cluster's finished segments are, to compare a streamed one with. */
    private final java.nio.file.Path pgWal;
    private final byte[] compareChunk = new byte[1 << 20];
    private volatile boolean closing;
    private volatile Connection replication;
    private volatile Connection sql;

    private WalStreamer(StreamSettings settings, Repository repository, java.nio.file.Path pgWal,
                        Compression compression, int level, Clock clock) {
        this.settings = settings;
        this.pgWal = pgWal;
        this.repository = repository;
        this.cluster = repository.cluster();
        this.size = cluster.segmentSize();
        this.compression = compression;
        this.level = level;
        this.state = new StreamState(StreamSettings.slotName(cluster.systemIdentifier()), clock);
        this.comparison = new ArchiveComparison(repository, state, clock);
        this.segment = new byte[size.bytes()];
        this.spare = new byte[size.bytes()];
        this.thread = new Thread(this::run, "walden-stream");
        this.thread.setDaemon(true);
    }

    /**
     * Starts streaming.
     *
     * @throws IOException when the cluster's segments are too large to hold in memory
     */
    public static WalStreamer start(StreamSettings settings, Repository repository, java.nio.file.Path pgWal,
                                    Compression compression, int level, Clock clock) throws IOException {
        if (repository.cluster().segmentSize().bytes() > MAX_SEGMENT_BYTES) {
            throw new IOException("agent.stream = on needs WAL segments of at most " + (MAX_SEGMENT_BYTES >> 20)
                    + " MiB (one is held in memory); this cluster's are " + repository.cluster().segmentSize()
                    + ": set agent.stream = off");
        }
        WalStreamer streamer = new WalStreamer(settings, repository, pgWal, compression, level, clock);
        streamer.thread.start();
        LOG.log(Level.INFO, "streaming WAL through replication slot " + streamer.state.slot() + " ("
                + (settings.synchronous() ? "synchronous" : "flush every " + dev.walden.config.Durations.format(settings.flush()))
                + ")");
        return streamer;
    }

    /**
     * The heap streaming holds at once: the segment being received, the one finished before it,
     * a compressed copy while one is stored (up to a segment and 1 MiB), the storage writer's
     * buffer, and 1 MiB to compare a finished segment with its file.
     */
    public static long heapBytes(WalSegmentSize size, long writerBytes) {
        return 3L * size.bytes() + (2 << 20) + writerBytes;
    }

    public StreamState state() {
        return state;
    }

    private void run() {
        long pauseMillis = RETRY_MIN.toMillis();
        String lastProblem = null;
        while (!closing) {
            try {
                session();
            } catch (IOException | SQLException | RuntimeException e) {
                if (closing) {
                    break;
                }
                if (state.isConnected()) { // it streamed: whatever stopped it is news, retried soon
                    lastProblem = null;
                    pauseMillis = RETRY_MIN.toMillis();
                }
                String problem = oneLine(e);
                state.disconnected(problem);
                // one line per new problem, not one per retry
                LOG.log(problem.equals(lastProblem) ? Level.DEBUG : Level.WARNING,
                        "WAL streaming stopped: " + problem + "; retrying (archive_command still archives every segment)");
                lastProblem = problem;
            } finally {
                closeQuietly(replication);
                closeQuietly(sql);
            }
            try {
                Thread.sleep(pauseMillis);
            } catch (InterruptedException e) {
                break;
            }
            pauseMillis = Math.min(RETRY_MAX.toMillis(), pauseMillis * 2);
        }
        state.disconnected("agent stopped");
    }

    private void session() throws IOException, SQLException {
        sql = Database.connect(settings.connection(), CONNECT_TIMEOUT);
        Lsn restart = slotStart(sql);
        replication = Database.connectForReplication(settings.connection(), CONNECT_TIMEOUT);
        int timeline;
        try (Statement st = replication.createStatement(); ResultSet rs = st.executeQuery("IDENTIFY_SYSTEM")) {
            rs.next();
            long system = Long.parseUnsignedLong(rs.getString(1));
            if (system != cluster.systemIdentifier()) {
                throw new IOException("the replication connection reaches database system "
                        + Long.toUnsignedString(system) + ", not this repository's "
                        + Long.toUnsignedString(cluster.systemIdentifier()) + "; check the connection settings");
            }
            timeline = rs.getInt(2);
        }
        long segmentNumber = restart.segmentNumber(size);
        long start = size.startOf(segmentNumber).value();
        PGReplicationStream stream = replication.unwrap(PGConnection.class).getReplicationAPI().replicationStream()
                .physical().withSlotName(state.slot()).withStartPosition(LogSequenceNumber.valueOf(start))
                .withStatusInterval((int) Math.min(10_000, settings.flush().toMillis()), TimeUnit.MILLISECONDS).start();
        state.connected(timeline);
        LOG.log(Level.INFO, "WAL streaming connected: slot " + state.slot() + ", timeline " + timeline + ", from "
                + new Lsn(start));
        comparison.loadStored(WalFileName.segment(timeline, segmentNumber, size));
        receive(stream, timeline, segmentNumber);
    }

    /**
     * Where the stream starts: the slot's restart_lsn, the slot made first when missing, and made
     * again when PostgreSQL invalidated it.
     */
    private Lsn slotStart(Connection c) throws SQLException, IOException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT pg_is_in_recovery()")) {
            rs.next();
            if (rs.getBoolean(1)) {
                throw new IOException("the database server is a standby; agent.stream streams from the primary");
            }
        }
        Optional<StreamSlot.Info> slot = StreamSlot.inspect(c, state.slot());
        if (slot.isPresent() && !slot.get().type().equals("physical")) {
            throw new IOException("replication slot " + state.slot() + " exists and is " + slot.get().type()
                    + ", not physical; drop it (walden agent --drop-slot)");
        }
        if (slot.isPresent() && slot.get().lost()) {
            String detail = "wal_status lost: it fell behind by more than max_slot_wal_keep_size";
            LOG.log(Level.ERROR, "replication slot " + state.slot() + " was invalidated by PostgreSQL (" + detail
                    + "); WAL from its restart point on was not streamed, archive_command archived it; making the slot again");
            state.invalidated(detail);
            StreamSlot.drop(c, state.slot());
            slot = Optional.empty();
        }
        if (slot.isEmpty() || slot.get().restartLsn().isEmpty()) {
            if (slot.isPresent()) {
                StreamSlot.drop(c, state.slot());
            }
            Lsn at = StreamSlot.create(c, state.slot());
            LOG.log(Level.INFO, "created replication slot " + state.slot() + " at " + at);
            return at;
        }
        return slot.get().restartLsn().get();
    }

    /**
     * A segment the stream finished, held until archive_command's copy of it is in the repository
     * (compared, nothing stored) or {@link StreamSettings#flush()} has passed (then stored).
     */
    private record Finished(WalFileName name, long start, long since, boolean prefixStored) {
    }

    /** Receives until an error or close, storing as it goes. */
    private void receive(PGReplicationStream stream, int timeline, long segmentNumber) throws IOException, SQLException {
        long segmentStart = size.startOf(segmentNumber).value();
        WalFileName name = WalFileName.segment(timeline, segmentNumber, size);
        int filled = 0;
        // never store a shorter prefix over a longer one a previous session stored
        int stored = repository.stream().find(name).map(StreamedWal::length).orElse(0);
        Finished finished = null;
        long confirmed = segmentStart + stored;
        long lastStore = System.nanoTime();
        long lastProbe = 0;
        long lastLook = 0;
        long flushNanos = settings.flush().toNanos();
        while (!closing) {
            ByteBuffer data = stream.readPending();
            if (data != null) {
                int n = data.remaining();
                long dataStart = stream.getLastReceiveLSN().asLong() - n;
                if (dataStart != segmentStart + filled) {
                    throw new IOException("the server sent WAL from " + new Lsn(dataStart) + " where "
                            + new Lsn(segmentStart + filled) + " was expected");
                }
                while (n > 0) {
                    int take = Math.min(n, segment.length - filled);
                    data.get(segment, filled, take);
                    if (filled < WalPageHeader.LONG_HEADER_LENGTH && filled + take >= WalPageHeader.LONG_HEADER_LENGTH) {
                        checkHeader(name);
                    }
                    filled += take;
                    n -= take;
                    if (filled == segment.length) {
                        if (finished != null) { // the one before is not archived yet: it can't wait longer
                            storeFinished(finished);
                        }
                        finished = new Finished(name, segmentStart, System.nanoTime(), stored > 0);
                        byte[] full = segment;
                        segment = spare;
                        spare = full;
                        if (settings.synchronous()) { // commits wait: store it now
                            storeFinished(finished);
                            finished = null;
                        }
                        segmentNumber++;
                        segmentStart = size.startOf(segmentNumber).value();
                        name = WalFileName.segment(timeline, segmentNumber, size);
                        // no need to zero it: only the first `filled` bytes are ever read or stored
                        filled = 0;
                        stored = 0;
                        lastStore = System.nanoTime();
                    }
                }
            }
            long now = System.nanoTime();
            if (finished != null && (now - lastLook >= LOOK_EVERY.toNanos() || now - finished.since() >= flushNanos)) {
                lastLook = now;
                if (resolvedByArchive(finished)) {
                    finished = null;
                } else if (now - finished.since() >= flushNanos) {
                    storeFinished(finished);
                    finished = null;
                }
            }
            boolean due = settings.synchronous() ? data == null : now - lastStore >= flushNanos;
            if (filled > stored && due) {
                StreamedWal partial = repository.stream().store(name, segment, filled, compression, level);
                state.storedBytes(partial.storedSize());
                stored = filled;
                lastStore = System.nanoTime();
            }
            // confirmed to PostgreSQL: everything up to the first byte not yet durable in the repository
            long durable = finished != null ? finished.start() : segmentStart + stored;
            if (durable > confirmed) {
                confirmed = durable;
                state.stored(confirmed);
                stream.setFlushedLSN(LogSequenceNumber.valueOf(confirmed));
                stream.forceUpdateStatus();
            }
            if (now - lastProbe >= PROBE_EVERY.toNanos()) {
                probe();
                comparison.check();
                lastProbe = now;
            }
            if (data == null) {
                sleep(settings.synchronous() ? 1 : 10);
            }
        }
    }

    /**
     * Whether archive_command's copy of a finished segment is in the repository: then it is
     * compared with what was streamed (a difference is an alarm; the archived copy wins either
     * way) and the streamed bytes need not be stored at all.
     */
    private boolean resolvedByArchive(Finished finished) throws IOException {
        Optional<dev.walden.repo.StoredWal> archived = repository.wal().find(finished.name());
        if (archived.isEmpty()) {
            return false;
        }
        boolean same = sameAsFileInPgWal(finished.name()) || archived.get().contentName().equals(
                repository.stream().contentName(dev.walden.repo.Checksums.hex(sha256(spare))));
        state.compared(same);
        if (!same) {
            ArchiveComparison.alarm(finished.name(), archived.get().key(), "what the stream received");
        }
        if (finished.prefixStored()) {
            repository.stream().delete(finished.name()); // the archived copy serves
        }
        return true;
    }

    /**
     * Whether the streamed segment (in {@link #spare}) is byte for byte the file of that name in
     * pg_wal, which archive_command's copy was stored from and verified against (SHA-256, as it
     * was read). A finished segment's file does not change under its name: PostgreSQL renames it
     * to a later segment's name before writing into it again. So equal bytes prove the archived
     * copy equal, at the cost of reading a file the archiver just read (in the page cache) and a
     * comparison, instead of a SHA-256 of every byte streamed: on a write-heavy server that
     * checksum was most of what streaming cost the database (see docs/performance.md). A file
     * gone or different (recycled while read) proves nothing: the caller then compares SHA-256s.
     */
    private boolean sameAsFileInPgWal(WalFileName name) {
        java.nio.file.Path file = pgWal.resolve(name.toString());
        try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(file)) {
            if (channel.size() != spare.length) {
                return false;
            }
            ByteBuffer chunk = ByteBuffer.wrap(compareChunk);
            for (int at = 0; at < spare.length; ) {
                chunk.clear();
                int n = channel.read(chunk, at);
                if (n <= 0 || Arrays.mismatch(compareChunk, 0, n, spare, at, at + n) >= 0) {
                    return false;
                }
                at += n;
            }
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static java.security.MessageDigest sha256(byte[] bytes) {
        java.security.MessageDigest digest = dev.walden.repo.Checksums.newDigest();
        digest.update(bytes);
        return digest;
    }

    /** Stores a finished segment (held in {@link #spare}) and has it compared once archived. */
    private void storeFinished(Finished finished) throws IOException {
        StreamedWal whole = repository.stream().store(finished.name(), spare, spare.length, compression, level);
        state.storedBytes(whole.storedSize());
        comparison.add(whole);
    }

    /** The first page must be this cluster's and at this segment's start: anything else is not its WAL. */
    private void checkHeader(WalFileName name) throws IOException {
        WalPageHeader header = WalPageHeader.parse(Arrays.copyOf(segment, WalPageHeader.LONG_HEADER_LENGTH));
        WalPageHeader expected = WalPageHeader.first(cluster, name);
        if (header.systemIdentifier() != expected.systemIdentifier()
                || !header.pageAddress().equals(expected.pageAddress())) {
            throw new IOException("streamed " + name + " starts with the page of system "
                    + Long.toUnsignedString(header.systemIdentifier()) + " at " + header.pageAddress() + ", not "
                    + Long.toUnsignedString(expected.systemIdentifier()) + " at " + expected.pageAddress());
        }
    }

    /** The server's position and the slot's state, for the lag and retained-WAL metrics. */
    private void probe() throws SQLException, IOException {
        Connection c = sql;
        Optional<StreamSlot.Info> slot = StreamSlot.inspect(c, state.slot());
        long lsn;
        try (PreparedStatement st = c.prepareStatement("SELECT pg_current_wal_lsn()::text");
             ResultSet rs = st.executeQuery()) {
            rs.next();
            lsn = Lsn.parse(rs.getString(1)).value();
        }
        if (slot.isEmpty()) {
            throw new IOException("replication slot " + state.slot() + " was dropped while the agent streamed from it");
        }
        state.probed(lsn, slot.get().walStatus(), slot.get().retainedBytes());
        if (slot.get().lost()) {
            throw new IOException("replication slot " + state.slot() + " was invalidated (wal_status lost)");
        }
    }

    private static void sleep(long millis) throws IOException {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        }
    }

    private static String oneLine(Throwable e) {
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return dev.walden.config.Secrets.redact(message.replace('\n', ' '));
    }

    private static void closeQuietly(Connection c) {
        if (c != null) {
            try {
                c.close();
            } catch (SQLException | RuntimeException ignored) {
                // the session is over either way
            }
        }
    }

    /** Stops streaming: what was received and not stored is not confirmed, so the slot keeps it. */
    @Override
    public void close() {
        closing = true;
        thread.interrupt();
        try {
            thread.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closeQuietly(replication);
        closeQuietly(sql);
    }
}
