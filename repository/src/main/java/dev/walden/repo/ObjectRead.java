package dev.walden.repo;

import dev.walden.crypto.ObjectAuthenticationException;
import dev.walden.storage.Storage;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.function.UnaryOperator;

/**
 * Reads a stored object back as its original bytes, checked: reaching the end of the stream
 * verifies the SHA-256 it was stored with. Every failure names {@code what} was read (the caller
 * says it in its own terms: a WAL file, a backup's data file and its object key) and which layer
 * failed. Content that doesn't decompress or hashes to something else is a
 * {@link CorruptObjectException}; a failed read from the storage stays a plain
 * {@link IOException}, so it isn't mistaken for corruption. The decompressors' own messages
 * ("Restored data doesn't match checksum") never reach an operator without the name of the file.
 */
public final class ObjectRead {
    private ObjectRead() {
    }

    /**
     * Opens {@code key} for reading its original bytes.
     *
     * @param what how to name the object in messages, e.g. {@code object 'wal/…' in posix:/repo}
     */
    public static InputStream open(Storage storage, String key, Compression compression, String sha256, String what)
            throws IOException {
        return open(storage, key, compression, sha256, UnaryOperator.identity(), what);
    }

    /**
     * Opens {@code key} for reading its original bytes, checked against {@code name}, which is
     * {@code naming} applied to their SHA-256 (a content name, {@link Storage#contentName}).
     */
    public static InputStream open(Storage storage, String key, Compression compression, String name,
                                   UnaryOperator<String> naming, String what) throws IOException {
        InputStream raw;
        try {
            raw = new ErrorTranslatingInputStream(storage.read(key), e -> fromStorage(what, e));
        } catch (ObjectAuthenticationException e) {
            throw new CorruptObjectException(what + " is corrupt: " + e.getMessage(), e);
        }
        try {
            return new ErrorTranslatingInputStream(Checksums.verifying(compression.decompress(raw), name, naming, what),
                    e -> e instanceof CorruptObjectException || e instanceof StorageReadException ? e
                            : corrupt(what, e));
        } catch (StorageReadException e) {
            raw.close();
            throw e;
        } catch (IOException e) {
            raw.close();
            throw corrupt(what, e);
        }
    }

    /** Content that failed authentication is damage; anything else the storage threw is a failed read. */
    private static IOException fromStorage(String what, IOException e) {
        return e instanceof ObjectAuthenticationException ? new CorruptObjectException(what + " is corrupt: "
                + e.getMessage(), e) : new StorageReadException("read " + what + ": " + e.getMessage(), e);
    }

    private static CorruptObjectException corrupt(String what, IOException e) {
        return new CorruptObjectException(what + " is corrupt: cannot decompress it (" + e.getMessage() + ")", e);
    }

    /** A read from the storage itself failed: the object may be fine. */
    private static final class StorageReadException extends IOException {
        private static final long serialVersionUID = 1L;

        StorageReadException(String message, IOException cause) {
            super(message, cause);
        }
    }

    /** Rewrites the exceptions reads throw, to say which layer of the stream failed. */
    private static final class ErrorTranslatingInputStream extends FilterInputStream {
        private final UnaryOperator<IOException> translation;

        ErrorTranslatingInputStream(InputStream in, UnaryOperator<IOException> translation) {
            super(in);
            this.translation = translation;
        }

        @Override
        public int read() throws IOException {
            try {
                return super.read();
            } catch (IOException e) {
                throw translation.apply(e);
            }
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            try {
                return super.read(b, off, len);
            } catch (IOException e) {
                throw translation.apply(e);
            }
        }
    }
}
