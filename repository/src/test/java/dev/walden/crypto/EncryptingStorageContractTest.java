package dev.walden.crypto;

import dev.walden.storage.MemoryStorage;
import dev.walden.storage.Storage;
import dev.walden.storage.StorageContractTest;
import java.io.IOException;
import java.time.Instant;

/** Encryption changes what is stored, never what the storage contract promises. */
class EncryptingStorageContractTest extends StorageContractTest {
    @Override
    protected Storage newStorage() throws IOException {
        // the keyring elsewhere: the contract starts from an empty storage
        return new EncryptingStorage(new MemoryStorage(), Keyring.create(new MemoryStorage(),
                TestKeys.passphrase("contract"), "42", Instant.now()));
    }
}
