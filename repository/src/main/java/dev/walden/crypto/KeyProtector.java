package dev.walden.crypto;

import java.io.IOException;

/**
 * What protects a repository's data keys in {@code keyring.json}: the operator's master key
 * (a key file, or a passphrase through Argon2id) or an AWS KMS key (envelope encryption). A
 * protector makes new data keys and opens the ones the keyring holds; the data keys themselves
 * never leave memory unwrapped.
 */
public interface KeyProtector {
    /** A new data key and the form in which keyring.json keeps it. */
    record NewKey(byte[] plain, byte[] wrapped) {
    }

    /**
     * Makes a new 32-byte data key, wrapped so that only this protector opens it.
     *
     * @param context bound to the wrapped key: opening it under another context fails
     */
    NewKey generate(String context) throws IOException;

    /**
     * Wraps an existing key (the keyring's keys, when what protects them changes) so that only
     * this protector opens it, bound to {@code context}.
     */
    byte[] wrap(byte[] plain, String context) throws IOException;

    /**
     * Opens a wrapped data key.
     *
     * @throws WrongKeyException when this protector's key is not the one that wrapped it
     */
    byte[] unwrap(byte[] wrapped, String context) throws IOException;

    /** Names the key in messages without revealing it: {@code key file /etc/walden/repo.key}. */
    String describe();
}
