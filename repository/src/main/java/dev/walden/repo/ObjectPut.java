package dev.walden.repo;

import dev.walden.storage.ObjectWriter;
import dev.walden.storage.Storage;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.util.Optional;

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
        long[] stored = {0};
        long original = 0;
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
            try (OutputStream out = compression.compress(counted, level)) {
                byte[] buffer = new byte[128 * 1024];
                int n;
                while ((n = content.readNBytes(buffer, 0, buffer.length)) > 0) {
                    if (inspector != null) {
                        inspector.inspect(buffer, n);
                    }
                    digest.update(buffer, 0, n);
                    out.write(buffer, 0, n);
                    original += n;
                }
            }
            String sha256 = Checksums.hex(digest);
            if (expectedSha256.isPresent() && !expectedSha256.get().equals(sha256)) {
                throw new ContentChangedException(expectedSha256.get(), sha256);
            }
            if (commitCheck != null) {
                commitCheck.check();
            }
            writer.commit();
            return new Result(key, sha256, original, stored[0]);
        }
    }

    /** The content didn't hash to what the caller expected; nothing was stored. */
    public static final class ContentChangedException extends IOException {
        private static final long serialVersionUID = 1L;

        private final String expected;
        private final String actual;

        ContentChangedException(String expected, String actual) {
            super("content changed while it was being stored (SHA-256 " + expected + " before, " + actual
                    + " after); nothing was stored");
            this.expected = expected;
            this.actual = actual;
        }

        public String expected() {
            return expected;
        }

        public String actual() {
            return actual;
        }
    }
}
