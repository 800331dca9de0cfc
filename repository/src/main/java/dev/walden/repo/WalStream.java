package dev.walden.repo;

import dev.walden.storage.ObjectInfo;
import dev.walden.storage.Storage;
import dev.walden.wal.WalFileName;
import dev.walden.wal.WalSegmentSize;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The streamed part of a repository ({@link StreamedWal}): the segments the agent received over
 * replication, each stored again as it grows. At most one object per segment is current; a crash
 * between storing a longer prefix and deleting the shorter one leaves both, and readers take the
 * longest.
 */
public final class WalStream {
    private final Storage storage;

    WalStream(Storage storage) {
        this.storage = storage;
    }

    /**
     * Stores the first {@code length} bytes of {@code segment} from {@code data}, durably and
     * atomically, then deletes the objects this one replaces.
     */
    public StreamedWal store(WalFileName segment, byte[] data, int length, Compression compression, int level)
            throws IOException {
        int maxHeld = length + (1 << 20); // incompressible bytes grow a little in any compressor
        ObjectPut.Result result = ObjectPut.putNamedByContent(storage,
                        sha256 -> StreamedWal.keyFor(segment, length, storage.contentName(sha256), compression),
                        new ByteArrayInputStream(data, 0, length), compression, level, maxHeld, null, null)
                .orElseThrow(() -> new IOException("streamed " + segment + " (" + length + " bytes) compressed to more "
                        + "than " + maxHeld + " bytes"));
        StreamedWal stored = new StreamedWal(segment, length, result.key(), storage.contentName(result.sha256()),
                compression, result.storedBytes(), java.time.Instant.now());
        for (StreamedWal older : objects(StreamedWal.prefixFor(segment))) {
            if (!older.key().equals(stored.key())) {
                storage.delete(older.key());
            }
        }
        return stored;
    }

    /** The current object of every streamed segment, in segment order (timeline, then position). */
    public List<StreamedWal> list() throws IOException {
        Map<String, StreamedWal> longest = new LinkedHashMap<>();
        for (StreamedWal s : objects(StreamedWal.ROOT)) {
            longest.merge(s.segment().segmentName(), s,
                    (a, b) -> a.length() > b.length() || a.length() == b.length() && a.stored().isAfter(b.stored()) ? a : b);
        }
        List<StreamedWal> all = new ArrayList<>(longest.values());
        all.sort(Comparator.comparing((StreamedWal s) -> s.segment().timeline())
                .thenComparing(s -> s.segment().segmentName()));
        return all;
    }

    /**
     * The streamed segments that continue archived WAL ending before segment {@code next} of
     * {@code timeline}: from that segment on, without a hole, up to the first one the stream did
     * not finish (WAL can't be replayed past a partial segment).
     */
    public List<StreamedWal> continuing(int timeline, long next, WalSegmentSize size) throws IOException {
        Map<Long, StreamedWal> onTimeline = new java.util.HashMap<>();
        for (StreamedWal s : list()) {
            if (s.segment().timeline() == timeline) {
                onTimeline.put(s.segment().segmentNumber(size), s);
            }
        }
        List<StreamedWal> tail = new ArrayList<>();
        for (long segno = next; onTimeline.containsKey(segno); segno++) {
            StreamedWal s = onTimeline.get(segno);
            tail.add(s);
            if (!s.complete(size)) {
                break;
            }
        }
        return tail;
    }

    /** The current object of {@code segment}, if it was streamed. */
    public Optional<StreamedWal> find(WalFileName segment) throws IOException {
        return objects(StreamedWal.prefixFor(segment)).stream().max(Comparator.comparingInt(StreamedWal::length)
                .thenComparing(StreamedWal::stored));
    }

    /** Every object under {@link StreamedWal#ROOT}, the replaced ones a crash left behind included. */
    public List<StreamedWal> objects() throws IOException {
        return objects(StreamedWal.ROOT);
    }

    private List<StreamedWal> objects(String prefix) throws IOException {
        List<StreamedWal> found = new ArrayList<>();
        for (ObjectInfo o : storage.list(prefix)) {
            StreamedWal.parse(o.key(), o.size(), o.modified()).ifPresent(found::add);
        }
        return found;
    }

    /**
     * Opens the streamed bytes; reaching the end verifies them against the content name, and a
     * mismatch throws {@link CorruptObjectException}.
     */
    public InputStream open(StreamedWal streamed) throws IOException {
        return ObjectRead.open(storage, streamed.key(), streamed.compression(), streamed.contentName(),
                storage::contentName, "streamed object '" + streamed.key() + "' in " + storage.describe());
    }

    /** Deletes the streamed objects of {@code segment}; returns how many there were. */
    public int delete(WalFileName segment) throws IOException {
        List<String> keys = objects(StreamedWal.prefixFor(segment)).stream().map(StreamedWal::key).toList();
        return keys.isEmpty() ? 0 : storage.deleteObjects(keys);
    }

    /** The content name {@code sha256} gets on this storage, to compare with an archived copy. */
    public String contentName(String sha256) {
        return storage.contentName(sha256);
    }
}
