package dev.walden.storage;

import java.time.Instant;

/** What a listing or stat tells about an object. */
public record ObjectInfo(String key, long size, Instant modified) {
    /** The last segment of the key. */
    public String name() {
        return key.substring(key.lastIndexOf('/') + 1);
    }
}
