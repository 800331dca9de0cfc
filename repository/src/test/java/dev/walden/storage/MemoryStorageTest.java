package dev.walden.storage;

class MemoryStorageTest extends StorageContractTest {
    @Override
    protected Storage newStorage() {
        return new MemoryStorage();
    }
}
