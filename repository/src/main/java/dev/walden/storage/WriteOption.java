package dev.walden.storage;

/** Named opt-outs from the safe defaults of {@link Storage#write}. */
public enum WriteOption {
    /**
     * Skip the fsync of the object and its directory: the write is still atomic, but may be lost
     * in a crash. For scratch data and benchmarks, never for WAL or backups.
     */
    NO_SYNC
}
