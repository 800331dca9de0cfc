package dev.walden.crypto;

import com.google.crypto.tink.subtle.AesGcmJce;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;

/**
 * Wraps data keys with AES-256-GCM under a 32-byte master key held in this process: the key
 * from a key file, or the one Argon2id derives from a passphrase. A wrapped key is Tink's
 * AES-GCM output, {@code nonce (12 bytes) || ciphertext (32) || tag (16)}, with the context as
 * associated data.
 */
final class MasterKeyProtector implements KeyProtector {
    private static final SecureRandom RANDOM = new SecureRandom();

    private final AesGcmJce aead;
    private final String description;

    MasterKeyProtector(byte[] masterKey, String description) throws IOException {
        try {
            this.aead = new AesGcmJce(masterKey);
        } catch (GeneralSecurityException e) {
            throw new IOException("AES-256-GCM is unavailable: " + e.getMessage(), e);
        }
        this.description = description;
    }

    @Override
    public NewKey generate(String context) throws IOException {
        byte[] plain = new byte[ObjectCipher.KEY_BYTES];
        RANDOM.nextBytes(plain);
        return new NewKey(plain, wrap(plain, context));
    }

    @Override
    public byte[] wrap(byte[] plain, String context) throws IOException {
        try {
            return aead.encrypt(plain, context.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot wrap a data key: " + e.getMessage(), e);
        }
    }

    @Override
    public byte[] unwrap(byte[] wrapped, String context) throws IOException {
        try {
            return aead.decrypt(wrapped, context.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new WrongKeyException(description + " does not open " + context);
        }
    }

    @Override
    public String describe() {
        return description;
    }
}
