package dev.walden.crypto;

/**
 * One data key of a repository's keyring: its id (as written in every object it encrypted) and
 * its 32 bytes. Never logged: {@link #toString()} names only the id.
 */
public record DataKey(int id, byte[] bytes) {
    public DataKey {
        if (bytes.length != ObjectCipher.KEY_BYTES) {
            throw new IllegalArgumentException("a data key has " + ObjectCipher.KEY_BYTES + " bytes, not " + bytes.length);
        }
    }

    @Override
    public String toString() {
        return "DataKey[id=" + id + "]";
    }
}
