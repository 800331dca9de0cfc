package dev.walden.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.storage.MemoryStorage;
import dev.walden.storage.ObjectWriter;
import dev.walden.storage.Storage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.Arrays;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EncryptingStorageTest {
    private static final byte[] SECRET_ROW = "alice@example.com,4111-1111-1111-1111".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path dir;

    private final MemoryStorage inner = new MemoryStorage();

    private static void put(Storage storage, String key, byte[] bytes) throws IOException {
        try (ObjectWriter w = storage.write(key)) {
            w.stream().write(bytes);
            w.commit();
        }
    }

    private static byte[] get(Storage storage, String key) throws IOException {
        try (InputStream in = storage.read(key)) {
            return in.readAllBytes();
        }
    }

    /** Content of several ciphertext segments, with the secret row in each. */
    private static byte[] content() {
        byte[] bytes = new byte[700 * 1024];
        new Random(1).nextBytes(bytes);
        for (int at = 0; at + SECRET_ROW.length < bytes.length; at += 100 * 1024) {
            System.arraycopy(SECRET_ROW, 0, bytes, at, SECRET_ROW.length);
        }
        return bytes;
    }

    private static boolean contains(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    @Test
    void storedBytesAreCiphertextThatReadsBackAsTheContent() throws IOException {
        EncryptingStorage storage = TestKeys.encrypted(inner, TestKeys.keyFile(dir, "k", 1));
        byte[] content = content();
        put(storage, "dumps/app/app.sql", content);
        byte[] stored = inner.snapshot().get("dumps/app/app.sql");
        assertFalse(contains(stored, SECRET_ROW), "no plaintext in the stored object");
        assertEquals(ObjectCipher.encryptedSize(content.length), stored.length);
        assertArrayEquals(content, get(storage, "dumps/app/app.sql"));
        assertEquals(1, storage.keyIdOf("dumps/app/app.sql"));
    }

    @Test
    void sizesAboveTheStorageAreThoseOfTheContentWritten() throws IOException {
        EncryptingStorage storage = TestKeys.encrypted(inner, TestKeys.keyFile(dir, "k", 1));
        int segment = ObjectCipher.CIPHERTEXT_SEGMENT_BYTES;
        int firstPlain = segment - ObjectCipher.TINK_HEADER_BYTES - ObjectCipher.TAG_BYTES;
        int plain = segment - ObjectCipher.TAG_BYTES;
        for (int size : new int[] {0, 1, firstPlain - 1, firstPlain, firstPlain + 1, firstPlain + plain,
                firstPlain + plain + 1, firstPlain + 3 * plain, 5_000_000}) {
            put(storage, "o", new byte[size]);
            assertEquals(ObjectCipher.encryptedSize(size), inner.stat("o").orElseThrow().size(), "size " + size);
            assertEquals(size, storage.stat("o").orElseThrow().size(), "size " + size);
            assertEquals(size, storage.list("o").get(0).size(), "size " + size);
        }
    }

    @Test
    void anEmptyObjectIsEncryptedToo() throws IOException {
        EncryptingStorage storage = TestKeys.encrypted(inner, TestKeys.keyFile(dir, "k", 1));
        put(storage, "state/empty", new byte[0]);
        assertTrue(inner.snapshot().get("state/empty").length > ObjectCipher.HEADER_BYTES);
        assertArrayEquals(new byte[0], get(storage, "state/empty"));
    }

    @Test
    void aFlippedByteAnywhereFailsAuthenticationNamingTheObject() throws IOException {
        EncryptingStorage storage = TestKeys.encrypted(inner, TestKeys.keyFile(dir, "k", 1));
        put(storage, "backups/x/data/base/1/1259.zst", content());
        byte[] stored = inner.snapshot().get("backups/x/data/base/1/1259.zst");
        for (int at : new int[] {ObjectCipher.HEADER_BYTES + 3, stored.length / 2, stored.length - 1}) {
            byte[] tampered = stored.clone();
            tampered[at] ^= 0x01;
            inner.tamper("backups/x/data/base/1/1259.zst", tampered);
            ObjectAuthenticationException e = assertThrows(ObjectAuthenticationException.class,
                    () -> get(storage, "backups/x/data/base/1/1259.zst"), "byte " + at);
            assertEquals("object 'backups/x/data/base/1/1259.zst' fails authentication with key 1: it was changed,"
                    + " truncated, renamed or swapped with another", e.getMessage());
        }
    }

    @Test
    void aChangedKeyIdInTheHeaderFails() throws IOException {
        EncryptingStorage storage = TestKeys.encrypted(inner, TestKeys.keyFile(dir, "k", 1));
        put(storage, "a", content());
        Keyring two = storage.keyring().add(inner, Instant.now());
        storage.keyring(two);
        byte[] tampered = inner.snapshot().get("a").clone();
        tampered[ObjectCipher.HEADER_BYTES - 1] = 2; // claims key 2, which exists
        inner.tamper("a", tampered);
        assertThrows(ObjectAuthenticationException.class, () -> get(storage, "a"));
    }

    @Test
    void aTruncatedObjectFailsInsteadOfReadingShort() throws IOException {
        EncryptingStorage storage = TestKeys.encrypted(inner, TestKeys.keyFile(dir, "k", 1));
        byte[] content = content();
        put(storage, "wal/x", content);
        byte[] stored = inner.snapshot().get("wal/x");
        int segment = ObjectCipher.CIPHERTEXT_SEGMENT_BYTES;
        // at a segment boundary (whole segments, the last one missing), mid-segment, and in the header
        for (int length : new int[] {ObjectCipher.HEADER_BYTES + 40 + 2 * segment - 40, stored.length - 17, 5}) {
            inner.tamper("wal/x", Arrays.copyOf(stored, length));
            IOException e = assertThrows(IOException.class, () -> get(storage, "wal/x"), "length " + length);
            assertTrue(e instanceof ObjectAuthenticationException, e.toString());
        }
    }

    @Test
    void anObjectRenamedOrSwappedWithAnotherFails() throws IOException {
        EncryptingStorage storage = TestKeys.encrypted(inner, TestKeys.keyFile(dir, "k", 1));
        put(storage, "wal/0000000100000000/000000010000000000000001-aa", content());
        put(storage, "wal/0000000100000000/000000010000000000000002-bb", "other".getBytes(StandardCharsets.UTF_8));
        byte[] first = inner.snapshot().get("wal/0000000100000000/000000010000000000000001-aa");
        inner.tamper("wal/0000000100000000/000000010000000000000002-bb", first);
        ObjectAuthenticationException e = assertThrows(ObjectAuthenticationException.class,
                () -> get(storage, "wal/0000000100000000/000000010000000000000002-bb"));
        assertTrue(e.getMessage().startsWith("object 'wal/0000000100000000/000000010000000000000002-bb' fails"),
                e.getMessage());
    }

    @Test
    void plaintextInAnEncryptedRepositoryIsRefused() throws IOException {
        EncryptingStorage storage = TestKeys.encrypted(inner, TestKeys.keyFile(dir, "k", 1));
        put(inner, "dumps/app/app.sql", "CREATE TABLE t ();".getBytes(StandardCharsets.UTF_8));
        ObjectAuthenticationException e = assertThrows(ObjectAuthenticationException.class,
                () -> get(storage, "dumps/app/app.sql"));
        assertEquals("object 'dumps/app/app.sql' is not an encrypted walden object (no WALDENC header); an encrypted"
                + " repository holds nothing else", e.getMessage());
    }

    @Test
    void afterARotationOldObjectsStayReadableAndNewOnesUseTheNewKey() throws IOException {
        KeySource key = TestKeys.keyFile(dir, "k", 1);
        EncryptingStorage storage = TestKeys.encrypted(inner, key);
        put(storage, "old", "before".getBytes(StandardCharsets.UTF_8));
        storage.keyring(storage.keyring().add(inner, Instant.now()));
        put(storage, "new", "after".getBytes(StandardCharsets.UTF_8));
        assertEquals(1, storage.keyIdOf("old"));
        assertEquals(2, storage.keyIdOf("new"));
        storage.keyring(storage.keyring().retire(inner, 1, Instant.now()));

        EncryptingStorage reopened = new EncryptingStorage(inner, Keyring.open(inner, key, "42"));
        assertEquals("before", new String(get(reopened, "old"), StandardCharsets.UTF_8));
        assertEquals("after", new String(get(reopened, "new"), StandardCharsets.UTF_8));
        assertEquals(2, reopened.keyring().current().id());
        assertTrue(reopened.keyring().entry(1).orElseThrow().isRetired());
        IOException last = assertThrows(IOException.class, () -> reopened.keyring().retire(inner, 2, Instant.now()));
        assertEquals("key 2 is the only key new objects can use; add one first: walden key add", last.getMessage());
    }

    @Test
    void aRunningProcessFollowsKeysAddedAndRetiredByAnother() throws IOException {
        KeySource key = TestKeys.keyFile(dir, "k", 1);
        Keyring.create(inner, key, "42", Instant.now());
        // the agent: checks keyring.json on every write here (every minute in production)
        EncryptingStorage agent = new EncryptingStorage(inner, Keyring.open(inner, key, "42"),
                Optional.of(() -> Keyring.open(inner, key, "42")), 0);
        EncryptingStorage command = new EncryptingStorage(inner, Keyring.open(inner, key, "42"));
        inner.setModified(Keyring.KEY, Instant.parse("2026-12-01T00:00:00Z"));
        agent.keyring(agent.keyring()); // takes that time as the keyring's

        command.keyring(command.keyring().add(inner, Instant.now())); // walden key add, elsewhere
        put(command, "dumps/app/new.sql", "by key 2".getBytes(StandardCharsets.UTF_8));
        assertEquals("by key 2", new String(get(agent, "dumps/app/new.sql"), StandardCharsets.UTF_8),
                "an object under a key the agent didn't know makes it open the keyring again");

        command.keyring(command.keyring().retire(inner, 1, Instant.now()));
        command.keyring(command.keyring().add(inner, Instant.now()));
        inner.setModified(Keyring.KEY, Instant.parse("2026-12-02T00:00:00Z"));
        put(agent, "wal/after", "x".getBytes(StandardCharsets.UTF_8));
        assertEquals(3, agent.keyIdOf("wal/after"), "a changed keyring.json is read again before a write");
    }

    @Test
    void aKeyringProtectedByANewKeyOpensOnlyWithItAndEveryObjectStaysReadable() throws IOException {
        KeySource old = TestKeys.keyFile(dir, "old", 1);
        Keyring.create(inner, old, "42", Instant.now());
        EncryptingStorage agent = new EncryptingStorage(inner, Keyring.open(inner, old, "42"),
                Optional.of(() -> Keyring.open(inner, old, "42")), 0);
        put(agent, "wal/a", "before".getBytes(StandardCharsets.UTF_8));
        String name = agent.contentName("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
        byte[] stored = inner.snapshot().get("wal/a");

        KeySource passphrase = TestKeys.passphrase("a new passphrase");
        Keyring.open(inner, old, "42").protect(inner, passphrase);
        assertArrayEquals(stored, inner.snapshot().get("wal/a"), "no object changes");
        WrongKeyException e = assertThrows(WrongKeyException.class, () -> Keyring.open(inner, old, "42"));
        assertTrue(e.getMessage().contains("protected by") || e.getMessage().contains("does not open"), e.getMessage());
        EncryptingStorage reopened = new EncryptingStorage(inner, Keyring.open(inner, passphrase, "42"));
        assertEquals("before", new String(get(reopened, "wal/a"), StandardCharsets.UTF_8));
        assertEquals(name, reopened.contentName("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"));

        inner.setModified(Keyring.KEY, Instant.parse("2030-01-01T00:00:00Z"));
        put(agent, "wal/b", "after".getBytes(StandardCharsets.UTF_8)); // still running with the old key: goes on
        assertEquals("after", new String(get(reopened, "wal/b"), StandardCharsets.UTF_8));
    }

    @Test
    void contentNamesAreKeyedStableAndRevealNoHash() throws IOException {
        EncryptingStorage storage = TestKeys.encrypted(inner, TestKeys.keyFile(dir, "k", 1));
        String sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
        String name = storage.contentName(sha256);
        assertEquals(64, name.length());
        assertNotEquals(sha256, name);
        assertEquals(name, storage.contentName(sha256), "the same content, the same name: duplicates are found");
        assertEquals(name, new EncryptingStorage(inner, Keyring.open(inner, TestKeys.keyFile(dir, "k", 1), "42"))
                .contentName(sha256), "and after a restart");
        MemoryStorage other = new MemoryStorage();
        assertNotEquals(name, TestKeys.encrypted(other, TestKeys.keyFile(dir, "k2", 1)).contentName(sha256),
                "another repository names it otherwise, even under the same key file");
    }

    @Test
    void theWrongKeyFileIsOneLineThatNamesItAndNothingOfTheKey() throws IOException {
        TestKeys.encrypted(inner, TestKeys.keyFile(dir, "right", 1));
        KeySource.KeyFile wrong = TestKeys.keyFile(dir, "wrong", 2);
        WrongKeyException e = assertThrows(WrongKeyException.class, () -> Keyring.open(inner, wrong, "42"));
        assertEquals("key file " + wrong.path() + " does not open the keys of memory: it is not the key this"
                + " repository's keyring was written with", e.getMessage());
    }

    @Test
    void theWrongPassphraseIsRefusedAndTheRightOneOpens() throws IOException {
        TestKeys.encrypted(inner, TestKeys.passphrase("correct horse battery staple"));
        WrongKeyException e = assertThrows(WrongKeyException.class,
                () -> Keyring.open(inner, TestKeys.passphrase("correct horse battery stapler"), "42"));
        assertTrue(e.getMessage().startsWith("the passphrase in WALDEN_REPOSITORY_PASSPHRASE does not open"),
                e.getMessage());
        assertFalse(e.getMessage().contains("staple"));
        Keyring.open(inner, TestKeys.passphrase("correct horse battery staple"), "42");
        String json = new String(inner.snapshot().get(Keyring.KEY), StandardCharsets.UTF_8);
        assertTrue(json.contains("\"algorithm\" : \"argon2id\""), json);
    }

    @Test
    void aKeyringOfAnotherRepositoryDoesNotOpen() throws IOException {
        KeySource key = TestKeys.keyFile(dir, "k", 1);
        Keyring.create(inner, key, "42", Instant.now());
        assertThrows(WrongKeyException.class, () -> Keyring.open(inner, key, "43"),
                "wrapped keys are bound to the system identifier");
    }

    @Test
    void aKeySourceOfAnotherKindIsNamed() throws IOException {
        Keyring.create(inner, TestKeys.passphrase("p"), "42", Instant.now());
        IOException e = assertThrows(IOException.class, () -> Keyring.open(inner, TestKeys.keyFile(dir, "k", 1), "42"));
        assertEquals("the keys of memory are protected by a passphrase (WALDEN_REPOSITORY_PASSPHRASE), but the"
                + " configuration gives a key file (repository.encryption.key_file); give the repository's own",
                e.getMessage());
    }

    @Test
    void aKeyFileOthersMayReadIsRefusedWithTheFix() throws IOException {
        KeySource.KeyFile key = TestKeys.keyFile(dir, "k", 1);
        Files.setPosixFilePermissions(key.path(), PosixFilePermissions.fromString("rw-r-----"));
        IOException e = assertThrows(IOException.class, () -> Keyring.create(inner, key, "42", Instant.now()));
        assertEquals("key file " + key.path() + " is open to others (mode 0640); run: chmod 600 '" + key.path() + "'",
                e.getMessage());
        assertTrue(inner.snapshot().isEmpty(), "no keyring written");
    }

    @Test
    void aKeyFileThatIsNotAKeySaysHowToMakeOne() throws IOException {
        Path file = dir.resolve("short");
        Files.writeString(file, "secret\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        IOException e = assertThrows(IOException.class,
                () -> Keyring.create(inner, new KeySource.KeyFile(file), "42", Instant.now()));
        assertEquals("key file " + file + " holds 7 bytes, neither 32 raw bytes nor 64 hex digits; make one with:"
                + " openssl rand -hex 32 > '" + file + "'", e.getMessage());
    }
}
