package dev.walden.repo;

import java.io.IOException;

/**
 * A stored object that can't be trusted: its content doesn't hash to the checksum it was stored
 * with, it can't be decompressed, or the repository holds two objects for one file. Never a
 * reason to carry on; recovery must stop.
 */
public final class CorruptObjectException extends IOException {
    private static final long serialVersionUID = 1L;

    public CorruptObjectException(String message) {
        super(message);
    }

    public CorruptObjectException(String message, Throwable cause) {
        super(message, cause);
    }
}
