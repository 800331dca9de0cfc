package dev.walden.storage;

import java.io.IOException;

/** Another process holds a storage lock. The message names the lock, the storage and the holder. */
public final class StorageLockedException extends IOException {
    private static final long serialVersionUID = 1L;

    private final String holder;

    public StorageLockedException(String name, String storage, String holder) {
        super("the " + name + " lock of " + storage + " is held by " + (holder.isEmpty() ? "another process" : holder));
        this.holder = holder;
    }

    /** Who holds the lock, as the holder described itself; may be empty. */
    public String holder() {
        return holder;
    }
}
