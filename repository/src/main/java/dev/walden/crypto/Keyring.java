package dev.walden.crypto;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.walden.storage.NoSuchObjectException;
import dev.walden.storage.ObjectWriter;
import dev.walden.storage.Storage;
import java.io.IOException;
import java.io.InputStream;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A repository's keys, opened: {@code keyring.json} (formatted and parsed here only) holds each
 * data key wrapped by the operator's key ({@link KeyProtector}), and the naming key that turns
 * content hashes into object names. New objects are encrypted with the newest key that is not
 * retired; every key stays readable, so objects written before a rotation still open.
 *
 * <p>Each wrapped key is bound to {@code walden <system identifier> key <id>} (or
 * {@code … naming key}): a keyring entry copied from another repository, or moved to another id,
 * does not open.
 */
public final class Keyring {
    public static final String KEY = "keyring.json";
    static final int FORMAT = 1;
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final SecureRandom RANDOM = new SecureRandom();

    /** The Argon2id settings a passphrase keyring was written with (OWASP's first choice: 46 MiB, 1 pass). */
    @JsonIgnoreProperties(ignoreUnknown = true)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Kdf(@JsonProperty("algorithm") String algorithm, @JsonProperty("salt") String salt,
                      @JsonProperty("memory_kib") int memoryKib, @JsonProperty("iterations") int iterations,
                      @JsonProperty("parallelism") int parallelism) {
        public static final String ARGON2ID = "argon2id";

        static Kdf fresh() {
            byte[] salt = new byte[16];
            RANDOM.nextBytes(salt);
            return new Kdf(ARGON2ID, Base64.getEncoder().encodeToString(salt), 47104, 1, 1);
        }

        byte[] saltBytes() {
            return Base64.getDecoder().decode(salt);
        }
    }

    /** One data key as keyring.json keeps it. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Entry(@JsonProperty("id") int id, @JsonProperty("created") String created,
                        @JsonProperty("retired") String retired, @JsonProperty("wrapped") String wrapped) {
        public boolean isRetired() {
            return retired != null;
        }
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record File(@JsonProperty("format") int format, @JsonProperty("cipher") String cipher,
                @JsonProperty("protection") String protection, @JsonProperty("kms_key_id") String kmsKeyId,
                @JsonProperty("kdf") Kdf kdf, @JsonProperty("naming_key") String namingKey,
                @JsonProperty("keys") List<Entry> keys) {
    }

    /** The cipher recorded in keyring.json and repository.json. */
    public static final String CIPHER = "aes-256-gcm";

    private final File file;
    private final KeyProtector protector;
    private final String systemIdentifier;
    private final Map<Integer, DataKey> keys;
    private final byte[] namingKey;

    private Keyring(File file, KeyProtector protector, String systemIdentifier, Map<Integer, DataKey> keys,
                    byte[] namingKey) {
        this.file = file;
        this.protector = protector;
        this.systemIdentifier = systemIdentifier;
        this.keys = keys;
        this.namingKey = namingKey;
    }

    /**
     * Makes the keyring of a new repository, with data key 1, and stores it under {@link #KEY}.
     * The storage is the driver's, not an encrypting one: the keyring is the one object stored
     * as it is (its keys are wrapped).
     */
    public static Keyring create(Storage storage, KeySource source, String systemIdentifier, Instant now)
            throws IOException {
        Kdf kdf = source instanceof KeySource.Passphrase ? Kdf.fresh() : null;
        KeyProtector protector = source.protector(kdf);
        KeyProtector.NewKey naming = protector.generate(namingContext(systemIdentifier));
        KeyProtector.NewKey first = protector.generate(keyContext(systemIdentifier, 1));
        File file = new File(FORMAT, CIPHER, source.kind(),
                source instanceof KeySource.Kms kms ? kms.keyId() : null, kdf, encode(naming.wrapped()),
                List.of(new Entry(1, now.toString(), null, encode(first.wrapped()))));
        Map<Integer, DataKey> keys = new LinkedHashMap<>();
        keys.put(1, new DataKey(1, first.plain()));
        Keyring keyring = new Keyring(file, protector, systemIdentifier, keys, naming.plain());
        keyring.save(storage);
        return keyring;
    }

    /**
     * Opens the keyring stored in {@code storage} with the operator's key.
     *
     * @throws WrongKeyException when the key does not open it
     * @throws IOException when there is no keyring, or its key source differs from the configured one
     */
    public static Keyring open(Storage storage, KeySource source, String systemIdentifier) throws IOException {
        File file = read(storage);
        if (!file.protection().equals(source.kind())) {
            throw new WrongKeyException("the keys of " + storage.describe() + " are protected by " + describe(file)
                    + ", but the configuration gives " + describeKind(source.kind()) + "; give the repository's own");
        }
        if (source instanceof KeySource.Kms kms && !kms.keyId().equals(file.kmsKeyId())) {
            throw new WrongKeyException("the keys of " + storage.describe() + " are protected by KMS key "
                    + file.kmsKeyId() + ", but the configuration gives KMS key " + kms.keyId()
                    + "; give the repository's own (repository.encryption.kms_key_id)");
        }
        KeyProtector protector = source.protector(file.kdf());
        try {
            byte[] naming = protector.unwrap(decode(file.namingKey()), namingContext(systemIdentifier));
            Map<Integer, DataKey> keys = new LinkedHashMap<>();
            for (Entry entry : file.keys()) {
                keys.put(entry.id(), new DataKey(entry.id(),
                        protector.unwrap(decode(entry.wrapped()), keyContext(systemIdentifier, entry.id()))));
            }
            return new Keyring(file, protector, systemIdentifier, keys, naming);
        } catch (WrongKeyException e) {
            throw new WrongKeyException(protector.describe() + " does not open the keys of " + storage.describe()
                    + ": it is not the key this repository's keyring was written with");
        }
    }

    private static File read(Storage storage) throws IOException {
        try (InputStream in = storage.read(KEY)) {
            File file;
            try {
                file = JSON.readValue(in, File.class);
            } catch (IOException e) {
                throw new IOException(KEY + " in " + storage.describe() + " is unreadable: " + e.getMessage(), e);
            }
            if (file.format() != FORMAT || !CIPHER.equals(file.cipher()) || file.keys() == null || file.keys().isEmpty()
                    || file.namingKey() == null || file.protection() == null) {
                throw new IOException(KEY + " in " + storage.describe() + " is not a keyring this walden reads (format "
                        + file.format() + ", cipher " + file.cipher() + ")");
            }
            return file;
        } catch (NoSuchObjectException e) {
            throw new IOException(storage.describe() + " is encrypted but holds no " + KEY
                    + ": without it nothing in the repository can be read; restore it from your copy");
        }
    }

    /** Adds a new data key, which new objects use from now on; returns its id. */
    public Keyring add(Storage storage, Instant now) throws IOException {
        int id = file.keys().stream().mapToInt(Entry::id).max().orElse(0) + 1;
        KeyProtector.NewKey key = protector.generate(keyContext(systemIdentifier, id));
        List<Entry> entries = new ArrayList<>(file.keys());
        entries.add(new Entry(id, now.toString(), null, encode(key.wrapped())));
        Map<Integer, DataKey> newKeys = new LinkedHashMap<>(keys);
        newKeys.put(id, new DataKey(id, key.plain()));
        Keyring added = new Keyring(withKeys(entries), protector, systemIdentifier, newKeys, namingKey);
        added.save(storage);
        return added;
    }

    /**
     * Retires a key: no new object uses it, objects under it stay readable until rewrapped.
     *
     * @throws IOException when there is no such key, or it is the last one new objects could use
     */
    public Keyring retire(Storage storage, int id, Instant now) throws IOException {
        Entry entry = entry(id).orElseThrow(() -> new IOException("the keyring has no key " + id + "; see walden key list"));
        if (entry.isRetired()) {
            return this;
        }
        if (file.keys().stream().filter(e -> !e.isRetired()).count() == 1) {
            throw new IOException("key " + id + " is the only key new objects can use; add one first: walden key add");
        }
        List<Entry> entries = file.keys().stream()
                .map(e -> e.id() == id ? new Entry(e.id(), e.created(), now.toString(), e.wrapped()) : e).toList();
        Keyring retired = new Keyring(withKeys(entries), protector, systemIdentifier, keys, namingKey);
        retired.save(storage);
        return retired;
    }

    /**
     * Protects the same keys with another key source (a new key file, passphrase or KMS key):
     * keyring.json is rewritten atomically, every object stays as it is, and from then on only
     * the new key opens the repository. The old key must still open it, which this keyring proves.
     */
    public Keyring protect(Storage storage, KeySource source) throws IOException {
        Kdf kdf = source instanceof KeySource.Passphrase ? Kdf.fresh() : null;
        KeyProtector newProtector = source.protector(kdf);
        List<Entry> entries = new ArrayList<>();
        for (Entry e : entries()) {
            entries.add(new Entry(e.id(), e.created(), e.retired(), encode(newProtector.wrap(keys.get(e.id()).bytes(),
                    keyContext(systemIdentifier, e.id())))));
        }
        File protectedFile = new File(FORMAT, CIPHER, source.kind(),
                source instanceof KeySource.Kms kms ? kms.keyId() : null, kdf,
                encode(newProtector.wrap(namingKey, namingContext(systemIdentifier))), entries);
        Keyring reprotected = new Keyring(protectedFile, newProtector, systemIdentifier, keys, namingKey);
        reprotected.save(storage);
        return reprotected;
    }

    private File withKeys(List<Entry> entries) {
        return new File(file.format(), file.cipher(), file.protection(), file.kmsKeyId(), file.kdf(), file.namingKey(),
                entries);
    }

    private void save(Storage storage) throws IOException {
        try (ObjectWriter writer = storage.write(KEY)) {
            JSON.writeValue(writer.stream(), file);
            writer.commit();
        }
    }

    /** The key new objects are encrypted with: the newest that is not retired. */
    public DataKey current() {
        int id = file.keys().stream().filter(e -> !e.isRetired()).mapToInt(Entry::id).max()
                .orElseThrow(() -> new IllegalStateException("every key is retired"));
        return keys.get(id);
    }

    /** The data key with this id, if the keyring has it. */
    public Optional<DataKey> key(int id) {
        return Optional.ofNullable(keys.get(id));
    }

    public Optional<Entry> entry(int id) {
        return file.keys().stream().filter(e -> e.id() == id).findFirst();
    }

    /** Every key, oldest first, as keyring.json records it (no key material). */
    public List<Entry> entries() {
        return file.keys().stream().sorted(Comparator.comparingInt(Entry::id)).toList();
    }

    /** What protects the keys, for messages and {@code walden key list}. */
    public String protection() {
        return describe(file);
    }

    byte[] namingKey() {
        return namingKey;
    }

    private static String describe(File file) {
        return switch (file.protection()) {
            case "kms" -> "KMS key " + file.kmsKeyId();
            default -> describeKind(file.protection());
        };
    }

    private static String describeKind(String kind) {
        return switch (kind) {
            case "key_file" -> "a key file (repository.encryption.key_file)";
            case "passphrase" -> "a passphrase (" + KeySource.PASSPHRASE_VARIABLE + ")";
            case "kms" -> "a KMS key (repository.encryption.kms_key_id)";
            default -> "'" + kind + "'";
        };
    }

    private static String keyContext(String systemIdentifier, int id) {
        return "walden " + systemIdentifier + " key " + id;
    }

    private static String namingContext(String systemIdentifier) {
        return "walden " + systemIdentifier + " naming key";
    }

    private static String encode(byte[] bytes) {
        return Base64.getEncoder().encodeToString(bytes);
    }

    private static byte[] decode(String text) throws IOException {
        try {
            return Base64.getDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            throw new IOException(KEY + " holds a wrapped key that is not base64");
        }
    }
}
