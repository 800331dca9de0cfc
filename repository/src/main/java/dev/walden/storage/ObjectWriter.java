package dev.walden.storage;

import java.io.IOException;
import java.io.OutputStream;

/**
 * An object being written. Write the content to {@link #stream()}, then {@link #commit()}.
 * {@link #close()} without a commit aborts: nothing appears under the key. Not thread-safe.
 */
public interface ObjectWriter extends AutoCloseable {
    /** Where the content goes. Closing this stream does not commit. */
    OutputStream stream();

    /** Publishes the object atomically and, unless {@link WriteOption#NO_SYNC}, durably. */
    void commit() throws IOException;

    /** Aborts if {@link #commit()} has not succeeded; otherwise does nothing. */
    @Override
    void close() throws IOException;
}
