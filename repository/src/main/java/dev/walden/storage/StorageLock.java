package dev.walden.storage;

/** A held {@link Storage#lock}; closing releases it. */
public interface StorageLock extends AutoCloseable {
    @Override
    void close();
}
