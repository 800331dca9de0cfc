package dev.walden.repo;

import dev.walden.storage.ObjectWriter;
import dev.walden.storage.Storage;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.zip.CRC32C;

/**
 * Stores a stream as one compressed object, hashing the original bytes on the way: the one
 * place objects are written with a checksum. WAL objects, base backup files and dumps all go
 * through here.
 */
public final class ObjectPut {
    private ObjectPut() {
    }

    /** What was stored: the SHA-256 of the original bytes, and sizes before and after compression. */
    public record Result(String key, String sha256, long originalBytes, long storedBytes) {
    }

    /** Receives each chunk of original bytes as it streams through, e.g. to check page checksums. */
    public interface Inspector {
        void inspect(byte[] buffer, int length) throws IOException;
    }

    /** Decides, once all content has streamed, whether it may be committed; throws to abort. */
    public interface CommitCheck {
        void check() throws IOException;
    }

    public static Result put(Storage storage, String key, InputStream content, Compression compression, int level,
                             Optional<String> expectedSha256, Inspector inspector) throws IOException {
        return put(storage, key, content, compression, level, expectedSha256, inspector, null);
    }

    /**
     * Stores {@code content} under {@code key}, atomically and durably.
     *
     * @param expectedSha256 when present, the object is committed only if the content hashes to
     *     it; otherwise nothing is stored and an IOException says so
     * @param commitCheck when present, runs after the content and before the commit: nothing is
     *     stored if it throws
     */
    public static Result put(Storage storage, String key, InputStream content, Compression compression, int level,
                             Optional<String> expectedSha256, Inspector inspector, CommitCheck commitCheck)
            throws IOException {
        MessageDigest digest = Checksums.newDigest();
        return write(storage, key, content, compression, level, inspector, digest::update, () -> {
            String sha256 = Checksums.hex(digest);
            if (expectedSha256.isPresent() && !expectedSha256.get().equals(sha256)) {
                throw new ContentChangedException("SHA-256", expectedSha256.get(), sha256);
            }
            if (commitCheck != null) {
                commitCheck.check();
            }
            return sha256;
        });
    }

    /**
     * Stores content whose SHA-256 the caller took in an earlier read of the same source, and
     * commits it only if these are still those bytes: their CRC-32C must equal {@code crc32c},
     * taken in that same earlier read. A CRC-32C costs far less than a second SHA-256 (both run
     * on the CPU's instructions for them), and it only has to catch a file that changed between
     * two reads, not an adversary. The result carries {@code sha256}.
     */
    public static Result putUnchanged(Storage storage, String key, InputStream content, Compression compression,
                                      int level, String sha256, long crc32c) throws IOException {
        CRC32C crc = new CRC32C();
        return write(storage, key, content, compression, level, null, crc::update, () -> {
            if (crc.getValue() != crc32c) {
                throw new ContentChangedException("CRC-32C", Long.toHexString(crc32c), Long.toHexString(crc.getValue()));
            }
            return sha256;
        });
    }

    /**
     * Stores content under a key that names its SHA-256, reading it once: the compressed bytes
     * are held in memory while the content streams through the hash, then written under
     * {@code keyFor.apply(sha256)}. Returns empty, having stored nothing, when the compressed
     * bytes outgrow {@code maxHeldBytes}: the caller then takes the SHA-256 in a read of its own
     * and stores in a second one ({@link #putUnchanged}), which bounds memory whatever the size.
     * Holding the compressed rather than the original bytes is what makes one read affordable:
     * WAL compresses well, so a segment held compressed is a fraction of its size (the ratios
     * measured on real WAL are in docs/benchmarks.md).
     *
     * @param inspector sees every chunk of original bytes; may throw to abort (nothing stored)
     * @param commitCheck when present, runs once the content is hashed: nothing is stored if it throws
     */
    public static Optional<Result> putNamedByContent(Storage storage, Function<String, String> keyFor,
                                                     InputStream content, Compression compression, int level,
                                                     int maxHeldBytes, Inspector inspector, CommitCheck commitCheck)
            throws IOException {
        MessageDigest digest = Checksums.newDigest();
        HeldBytes held = new HeldBytes(maxHeldBytes);
        long original;
        try (OutputStream out = compression.compress(held, level)) {
            original = copy(content, out, inspector, digest::update);
        } catch (HeldBytes.Full e) {
            return Optional.empty();
        }
        String sha256 = Checksums.hex(digest);
        if (commitCheck != null) {
            commitCheck.check();
        }
        String key = keyFor.apply(sha256);
        try (ObjectWriter writer = storage.write(key)) {
            held.writeTo(writer.stream());
            writer.commit();
        }
        return Optional.of(new Result(key, sha256, original, held.size()));
    }

    /**
     * Compressed bytes held in memory, in chunks of 1 MiB allocated as they fill (no copying as
     * it grows, no more memory than the content needs), up to a limit past which a write throws
     * {@link Full}.
     */
    private static final class HeldBytes extends OutputStream {
        private static final int CHUNK_BYTES = 1024 * 1024;

        private final int limit;
        private final List<byte[]> chunks = new ArrayList<>();
        private int size;

        HeldBytes(int limit) {
            this.limit = limit;
        }

        @Override
        public void write(int b) {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            if (len > limit - size) {
                throw new Full();
            }
            while (len > 0) {
                int inChunk = size % CHUNK_BYTES;
                if (inChunk == 0 && size / CHUNK_BYTES == chunks.size()) {
                    chunks.add(new byte[CHUNK_BYTES]);
                }
                int n = Math.min(len, CHUNK_BYTES - inChunk);
                System.arraycopy(b, off, chunks.get(size / CHUNK_BYTES), inChunk, n);
                size += n;
                off += n;
                len -= n;
            }
        }

        int size() {
            return size;
        }

        void writeTo(OutputStream out) throws IOException {
            for (int i = 0, left = size; left > 0; i++, left -= CHUNK_BYTES) {
                out.write(chunks.get(i), 0, Math.min(left, CHUNK_BYTES));
            }
        }

        /** The limit was reached; unchecked so that it passes the compressors' streams unchanged. */
        static final class Full extends RuntimeException {
            private static final long serialVersionUID = 1L;

            Full() {
                super(null, null, false, false);
            }
        }
    }

    /** Sees every chunk of original bytes. */
    private interface Hash {
        void update(byte[] buffer, int offset, int length);
    }

    /** Runs once all content is written, before the commit: returns the SHA-256, or throws to abort. */
    private interface Finish {
        String sha256() throws IOException;
    }

    private static Result write(Storage storage, String key, InputStream content, Compression compression, int level,
                                Inspector inspector, Hash hash, Finish finish) throws IOException {
        long[] stored = {0};
        try (ObjectWriter writer = storage.write(key)) {
            OutputStream counted = new FilterOutputStream(writer.stream()) {
                @Override
                public void write(int b) throws IOException {
                    out.write(b);
                    stored[0]++;
                }

                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    out.write(b, off, len);
                    stored[0] += len;
                }
            };
            long original;
            try (OutputStream out = compression.compress(counted, level)) {
                original = copy(content, out, inspector, hash);
            }
            String sha256 = finish.sha256();
            writer.commit();
            return new Result(key, sha256, original, stored[0]);
        }
    }

    /**
     * Streams {@code content} into {@code out} in 128 KiB chunks, each seen first by the
     * inspector (when there is one) and the hash; returns the bytes copied.
     */
    private static long copy(InputStream content, OutputStream out, Inspector inspector, Hash hash)
            throws IOException {
        byte[] buffer = new byte[128 * 1024];
        long copied = 0;
        int n;
        while ((n = content.readNBytes(buffer, 0, buffer.length)) > 0) {
            if (inspector != null) {
                inspector.inspect(buffer, n);
            }
            hash.update(buffer, 0, n);
            out.write(buffer, 0, n);
            copied += n;
        }
        return copied;
    }

    /** The content didn't hash to what the caller expected; nothing was stored. */
    public static final class ContentChangedException extends IOException {
        private static final long serialVersionUID = 1L;

        private final String expected;
        private final String actual;

        private final String checksum;

        ContentChangedException(String checksum, String expected, String actual) {
            super("content changed while it was being stored (" + checksum + " " + expected + " before, " + actual
                    + " after); nothing was stored");
            this.checksum = checksum;
            this.expected = expected;
            this.actual = actual;
        }

        /** "SHA-256 a before, b after" */
        public String difference() {
            return checksum + " " + expected + " before, " + actual + " after";
        }

        public String expected() {
            return expected;
        }

        public String actual() {
            return actual;
        }
    }
}
