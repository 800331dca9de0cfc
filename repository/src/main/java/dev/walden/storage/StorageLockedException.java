package dev.walden.storage;

import java.io.IOException;

/** Another process holds the storage's writer lock. */
public final class StorageLockedException extends IOException {
    private static final long serialVersionUID = 1L;

    public StorageLockedException(String storage, String holder) {
        super("another process" + (holder.isEmpty() ? "" : " (" + holder + ")") + " is writing to " + storage
                + "; one agent per repository");
    }
}
