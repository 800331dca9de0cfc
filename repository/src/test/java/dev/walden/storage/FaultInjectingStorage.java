package dev.walden.storage;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A storage decorator for fault injection at the seam: fail the n-th write with a given error
 * (e.g. "No space left on device"), or stall writes until released, as a hung NFS mount or
 * object store would.
 */
public final class FaultInjectingStorage implements Storage {
    private final Storage delegate;
    private final AtomicInteger writesUntilFailure = new AtomicInteger(-1);
    private final AtomicReference<String> failureMessage = new AtomicReference<>();
    private volatile CountDownLatch stall;
    private volatile CountDownLatch readStall;
    private volatile String stubbornKey;
    private volatile CountDownLatch stubbornStall;
    private final AtomicInteger stubbornReads = new AtomicInteger();
    private final AtomicInteger commits = new AtomicInteger();
    private final AtomicInteger stalled = new AtomicInteger();
    private final AtomicInteger reads = new AtomicInteger();
    private final AtomicInteger lists = new AtomicInteger();

    public FaultInjectingStorage(Storage delegate) {
        this.delegate = delegate;
    }

    /** Makes the n-th write from now (1 = the next) fail while streaming, with {@code message}. */
    public void failWrite(int n, String message) {
        failureMessage.set(message);
        writesUntilFailure.set(n);
    }

    /** Makes every write block in commit until {@link #release()} (bounded to 60 s as a safety net). */
    public void stallWrites() {
        stall = new CountDownLatch(1);
    }

    /** Makes every read block until {@link #release()} (bounded to 60 s as a safety net): a hung mount. */
    public void stallReads() {
        readStall = new CountDownLatch(1);
    }

    /**
     * Makes reads of {@code key} block until {@link #release()} (bounded to 60 s) and ignore
     * interrupts meanwhile, as a blocking socket read or a decompressor does.
     */
    public void stallReadsIgnoringInterrupts(String key) {
        stubbornStall = new CountDownLatch(1);
        stubbornKey = key;
    }

    /** Reads held by {@link #stallReadsIgnoringInterrupts} right now. */
    public int stubbornReads() {
        return stubbornReads.get();
    }

    public void release() {
        for (CountDownLatch latch : new CountDownLatch[] {stall, readStall, stubbornStall}) {
            if (latch != null) {
                latch.countDown();
            }
        }
        stall = null;
        readStall = null;
        stubbornStall = null;
    }

    /** Objects opened for reading so far. */
    public int reads() {
        return reads.get();
    }

    /** Listings so far. */
    public int lists() {
        return lists.get();
    }

    public int commits() {
        return commits.get();
    }

    /** Writes held in commit by {@link #stallWrites()} right now. */
    public int stalledCommits() {
        return stalled.get();
    }

    @Override
    public ObjectWriter write(String key, WriteOption... options) throws IOException {
        ObjectWriter writer = delegate.write(key, options);
        boolean fail = writesUntilFailure.get() > 0 && writesUntilFailure.decrementAndGet() == 0;
        String message = failureMessage.get();
        return new ObjectWriter() {
            private final OutputStream stream = new FilterOutputStream(writer.stream()) {
                private long written;

                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    written += len;
                    if (fail && written > 4096) {
                        throw new IOException("write '" + key + "' in " + describe() + ": " + message);
                    }
                    out.write(b, off, len);
                }
            };

            @Override
            public OutputStream stream() {
                return stream;
            }

            @Override
            public void commit() throws IOException {
                if (fail) {
                    throw new IOException("write '" + key + "' in " + describe() + ": " + message);
                }
                CountDownLatch latch = stall;
                if (latch != null) {
                    stalled.incrementAndGet();
                    try {
                        latch.await(60, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IOException("interrupted while stalled", e);
                    } finally {
                        stalled.decrementAndGet();
                    }
                }
                writer.commit();
                commits.incrementAndGet();
            }

            @Override
            public void close() throws IOException {
                writer.close();
            }
        };
    }

    @Override
    public InputStream read(String key) throws IOException {
        reads.incrementAndGet();
        CountDownLatch latch = readStall;
        if (latch != null) {
            try {
                latch.await(60, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("read interrupted");
            }
        }
        CountDownLatch stubborn = stubbornStall;
        if (stubborn != null && key.equals(stubbornKey)) {
            awaitIgnoringInterrupts(stubborn);
        }
        return delegate.read(key);
    }

    private void awaitIgnoringInterrupts(CountDownLatch latch) {
        stubbornReads.incrementAndGet();
        boolean interrupted = false;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        try {
            while (latch.getCount() > 0 && System.nanoTime() < deadline) {
                try {
                    latch.await(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } finally {
            stubbornReads.decrementAndGet();
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public Optional<ObjectInfo> stat(String key) throws IOException {
        return delegate.stat(key);
    }

    @Override
    public List<ObjectInfo> list(String prefix) throws IOException {
        lists.incrementAndGet();
        return delegate.list(prefix);
    }

    @Override
    public void sync(String key) throws IOException {
        delegate.sync(key);
    }

    @Override
    public boolean delete(String key) throws IOException {
        return delegate.delete(key);
    }

    @Override
    public int removeAbandonedWrites(Duration olderThan) throws IOException {
        return delegate.removeAbandonedWrites(olderThan);
    }

    @Override
    public StorageLock lock(String name, String owner) throws IOException {
        return delegate.lock(name, owner);
    }

    @Override
    public void setPointer(String key, String target) throws IOException {
        delegate.setPointer(key, target);
    }

    @Override
    public Optional<String> pointer(String key) throws IOException {
        return delegate.pointer(key);
    }

    @Override
    public String describe() {
        return delegate.describe();
    }

    @Override
    public void close() throws IOException {
        delegate.close();
    }
}
