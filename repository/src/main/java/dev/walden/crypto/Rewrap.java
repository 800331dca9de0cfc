package dev.walden.crypto;

import dev.walden.storage.ObjectInfo;
import dev.walden.storage.ObjectWriter;
import java.io.IOException;
import java.io.InputStream;
import java.util.function.Consumer;

/**
 * {@code walden key rewrap}: re-encrypts every object still under a retired key with the current
 * key, one object at a time and streaming (never more than one object's buffers in memory),
 * each replaced atomically under its own key. An object that fails authentication is left as it
 * is and counted: rewriting damaged content would launder it.
 */
public final class Rewrap {
    private Rewrap() {
    }

    /** What a rewrap did. */
    public record Result(long rewrapped, long bytes, long failed, String firstFailure) {
    }

    /**
     * Rewraps; the caller holds the repository's {@code backup} lock, so that an expiry never
     * removes an object this is about to write back.
     */
    public static Result run(EncryptingStorage storage, Consumer<String> progress) throws IOException {
        Keyring keyring = storage.keyring();
        long rewrapped = 0;
        long bytes = 0;
        long failed = 0;
        String firstFailure = null;
        for (ObjectInfo object : storage.list("")) {
            if (!storage.isEncrypted(object.key())) {
                continue;
            }
            int id = storage.keyIdOf(object.key());
            boolean retired = keyring.entry(id).map(Keyring.Entry::isRetired).orElse(false);
            if (!retired || id == keyring.current().id()) {
                continue;
            }
            try (InputStream in = storage.read(object.key()); ObjectWriter writer = storage.write(object.key())) {
                bytes += in.transferTo(writer.stream());
                writer.commit();
                rewrapped++;
                progress.accept(object.key());
            } catch (ObjectAuthenticationException e) {
                failed++;
                if (firstFailure == null) {
                    firstFailure = e.getMessage();
                }
            }
        }
        return new Result(rewrapped, bytes, failed, firstFailure);
    }
}
