package dev.walden.storage;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;

/** A storage in memory, for tests that don't care where bytes go. Follows the {@link Storage} contract. */
public final class MemoryStorage implements Storage {
    private record Entry(byte[] bytes, Instant modified) {
    }

    private final ConcurrentSkipListMap<String, Entry> objects = new ConcurrentSkipListMap<>();
    private final Map<String, String> lockHolders = new java.util.concurrent.ConcurrentHashMap<>();
    private final Map<String, String> pointers = new java.util.concurrent.ConcurrentHashMap<>();

    @Override
    public InputStream read(String key) throws IOException {
        Entry e = objects.get(StorageKeys.check(key));
        if (e == null) {
            throw new NoSuchObjectException(describe(), key);
        }
        return new ByteArrayInputStream(e.bytes);
    }

    @Override
    public Optional<ObjectInfo> stat(String key) {
        Entry e = objects.get(StorageKeys.check(key));
        return e == null ? Optional.empty() : Optional.of(new ObjectInfo(key, e.bytes.length, e.modified));
    }

    @Override
    public List<ObjectInfo> list(String prefix) {
        StorageKeys.checkPrefix(prefix);
        return objects.tailMap(prefix).entrySet().stream()
                .takeWhile(e -> e.getKey().startsWith(prefix))
                .map(e -> new ObjectInfo(e.getKey(), e.getValue().bytes.length, e.getValue().modified))
                .toList();
    }

    @Override
    public ObjectWriter write(String key, WriteOption... options) {
        StorageKeys.check(key);
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        return new ObjectWriter() {
            private boolean committed;

            @Override
            public OutputStream stream() {
                return buffer;
            }

            @Override
            public void commit() {
                if (committed) {
                    throw new IllegalStateException("already committed");
                }
                objects.put(key, new Entry(buffer.toByteArray(), Instant.now()));
                committed = true;
            }

            @Override
            public void close() {
                // an uncommitted buffer is simply dropped
            }
        };
    }

    @Override
    public void sync(String key) throws IOException {
        if (!objects.containsKey(StorageKeys.check(key))) {
            throw new NoSuchObjectException(describe(), key);
        }
    }

    @Override
    public boolean delete(String key) {
        StorageKeys.check(key);
        return objects.remove(key) != null | pointers.remove(key) != null;
    }

    @Override
    public int removeAbandonedWrites(Duration olderThan) {
        return 0;
    }

    @Override
    public StorageLock lock(String name, String owner) throws StorageLockedException {
        String holder = lockHolders.putIfAbsent(name, owner);
        if (holder != null) {
            throw new StorageLockedException(name, describe(), holder);
        }
        return () -> lockHolders.remove(name, owner);
    }

    @Override
    public void setPointer(String key, String target) {
        StorageKeys.check(key);
        StorageKeys.check(target);
        pointers.put(key, target);
    }

    @Override
    public Optional<String> pointer(String key) {
        return Optional.ofNullable(pointers.get(StorageKeys.check(key)));
    }

    /** Replaces an object's bytes directly, as damage would: for corruption tests. */
    public void tamper(String key, byte[] bytes) {
        objects.computeIfPresent(key, (k, e) -> new Entry(bytes, e.modified));
    }

    /** Sets an object's modification time, as a storage that wrote it then would report it: for tests of time. */
    public void setModified(String key, Instant modified) {
        objects.computeIfPresent(key, (k, e) -> new Entry(e.bytes, modified));
    }

    public Map<String, byte[]> snapshot() {
        Map<String, byte[]> copy = new java.util.TreeMap<>();
        objects.forEach((k, e) -> copy.put(k, e.bytes.clone()));
        return copy;
    }

    @Override
    public String describe() {
        return "memory";
    }

    @Override
    public void close() {
    }
}
