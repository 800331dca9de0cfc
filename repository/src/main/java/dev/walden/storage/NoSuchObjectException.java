package dev.walden.storage;

import java.io.IOException;

/** The object does not exist. */
public final class NoSuchObjectException extends IOException {
    private static final long serialVersionUID = 1L;

    private final String key;

    public NoSuchObjectException(String storage, String key) {
        super("no object '" + key + "' in " + storage);
        this.key = key;
    }

    public String key() {
        return key;
    }
}
