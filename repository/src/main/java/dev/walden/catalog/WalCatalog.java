package dev.walden.catalog;

import dev.walden.repo.StoredWal;
import dev.walden.storage.ObjectInfo;
import dev.walden.storage.Storage;
import dev.walden.wal.WalFileName;
import dev.walden.wal.WalSegmentSize;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What WAL a repository holds: every archived file in one listing, and from it the continuous
 * ranges per timeline and the gaps between them.
 */
public final class WalCatalog {
    private final List<Archived> files;
    private final Map<WalFileName, Archived> byName = new HashMap<>();
    private final WalSegmentSize size;

    /** One archived file and when it was archived (the object's modification time). */
    public record Archived(StoredWal wal, Instant archived) {
    }

    /** A run of consecutive segments on one timeline. */
    public record Range(int timeline, String first, String last, long segments) {
    }

    /** Segments missing between two ranges of one timeline. */
    public record Gap(int timeline, String after, String before, long missing) {
    }

    private WalCatalog(List<Archived> files, WalSegmentSize size) {
        this.files = files;
        this.size = size;
        files.forEach(a -> byName.put(a.wal().name(), a));
    }

    public static WalCatalog read(Storage storage, WalSegmentSize size) throws IOException {
        List<Archived> files = new ArrayList<>();
        for (ObjectInfo object : storage.list(StoredWal.ROOT)) {
            StoredWal.parse(object.key(), object.size()).ifPresent(w -> files.add(new Archived(w, object.modified())));
        }
        return new WalCatalog(files, size);
    }

    public List<Archived> files() {
        return files;
    }

    /** Segments (not partial, backup or history files), by timeline then segment number. */
    public TreeMap<Integer, TreeMap<Long, Archived>> segmentsByTimeline() {
        TreeMap<Integer, TreeMap<Long, Archived>> byTimeline = new TreeMap<>();
        for (Archived a : files) {
            WalFileName name = a.wal().name();
            if (name.kind() == WalFileName.Kind.SEGMENT) {
                byTimeline.computeIfAbsent(name.timeline(), t -> new TreeMap<>()).put(name.segmentNumber(size), a);
            }
        }
        return byTimeline;
    }

    public List<Range> ranges() {
        List<Range> ranges = new ArrayList<>();
        segmentsByTimeline().forEach((tli, segments) -> {
            long start = -1;
            long previous = -1;
            for (long segno : segments.keySet()) {
                if (start < 0) {
                    start = segno;
                } else if (segno != previous + 1) {
                    ranges.add(range(tli, start, previous));
                    start = segno;
                }
                previous = segno;
            }
            if (start >= 0) {
                ranges.add(range(tli, start, previous));
            }
        });
        return ranges;
    }

    public List<Gap> gaps() {
        List<Gap> gaps = new ArrayList<>();
        List<Range> ranges = ranges();
        for (int i = 1; i < ranges.size(); i++) {
            Range a = ranges.get(i - 1);
            Range b = ranges.get(i);
            if (a.timeline() == b.timeline()) {
                long after = WalFileName.parse(a.last()).segmentNumber(size);
                long before = WalFileName.parse(b.first()).segmentNumber(size);
                gaps.add(new Gap(a.timeline(), a.last(), b.first(), before - after - 1));
            }
        }
        return gaps;
    }

    private Range range(int tli, long first, long last) {
        return new Range(tli, WalFileName.segment(tli, first, size).toString(),
                WalFileName.segment(tli, last, size).toString(), last - first + 1);
    }

    /** Whether the file {@code name} is archived. */
    public boolean contains(WalFileName name) {
        return byName.containsKey(name);
    }

    /** The archived file {@code name}, or empty when the repository doesn't hold it. */
    public Optional<Archived> find(WalFileName name) {
        return Optional.ofNullable(byName.get(name));
    }
}
