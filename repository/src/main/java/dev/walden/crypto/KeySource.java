package dev.walden.crypto;

import dev.walden.config.ConfigException;
import dev.walden.config.ConfigKeys;
import dev.walden.config.ConfigSource;
import dev.walden.config.FileAccess;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.KmsClientBuilder;

/**
 * Where the key that protects a repository's keyring comes from, as the configuration names it:
 * {@code repository.encryption.key_file}, {@code repository.encryption.kms_key_id}, or else a
 * passphrase in the environment variable {@value #PASSPHRASE_VARIABLE}. The configuration only
 * ever names where the key is; the key itself is never in the configuration file, in argv or in
 * a message.
 */
public sealed interface KeySource {
    String PASSPHRASE_VARIABLE = ConfigKeys.PASSPHRASE_VARIABLE;

    /** The kind recorded in keyring.json: {@code key_file}, {@code passphrase} or {@code kms}. */
    String kind();

    /** The protector for a keyring written with these KDF settings (used by passphrases only). */
    KeyProtector protector(Keyring.Kdf kdf) throws IOException;

    /** A 32-byte key in a file of its own: 64 hex digits (what {@code openssl rand -hex 32} prints), or 32 raw bytes. */
    record KeyFile(Path path) implements KeySource {
        @Override
        public String kind() {
            return "key_file";
        }

        @Override
        public KeyProtector protector(Keyring.Kdf kdf) throws IOException {
            return new MasterKeyProtector(read(), "key file " + path);
        }

        /** Reads the key after checking that nobody but this user can read or replace it. */
        byte[] read() throws IOException {
            FileAccess.Stat stat;
            try {
                stat = FileAccess.stat(path);
            } catch (NoSuchFileException e) {
                throw new IOException("key file " + path + " (repository.encryption.key_file) does not exist");
            }
            if (stat.uid() != FileAccess.currentUid()) {
                throw new IOException("key file " + path + " is owned by '" + FileAccess.ownerName(path) + "', not by '"
                        + FileAccess.currentUserName() + "' who runs walden; run: chown " + FileAccess.currentUserName()
                        + " '" + path + "'");
            }
            if ((stat.mode() & 0077) != 0) {
                throw new IOException("key file " + path + " is open to others (mode " + stat.modeText()
                        + "); run: chmod 600 '" + path + "'");
            }
            byte[] content = Files.readAllBytes(path);
            if (content.length == ObjectCipher.KEY_BYTES) {
                return content;
            }
            String text = new String(content, StandardCharsets.US_ASCII).strip();
            if (text.length() == 2 * ObjectCipher.KEY_BYTES && text.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
                return HexFormat.of().parseHex(text);
            }
            throw new IOException("key file " + path + " holds " + content.length + " bytes, neither 32 raw bytes nor "
                    + "64 hex digits; make one with: openssl rand -hex 32 > '" + path + "'");
        }
    }

    /** A passphrase from the environment, stretched by Argon2id with the keyring's salt and costs. */
    record Passphrase(char[] passphrase) implements KeySource {
        @Override
        public String kind() {
            return "passphrase";
        }

        @Override
        public KeyProtector protector(Keyring.Kdf kdf) throws IOException {
            if (!kdf.algorithm().equals(Keyring.Kdf.ARGON2ID)) {
                throw new IOException("keyring.json names KDF '" + kdf.algorithm() + "'; this walden knows argon2id");
            }
            Argon2Parameters parameters = new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id)
                    .withVersion(Argon2Parameters.ARGON2_VERSION_13).withSalt(kdf.saltBytes())
                    .withMemoryAsKB(kdf.memoryKib()).withIterations(kdf.iterations())
                    .withParallelism(kdf.parallelism()).build();
            Argon2BytesGenerator argon2 = new Argon2BytesGenerator();
            argon2.init(parameters);
            byte[] key = new byte[ObjectCipher.KEY_BYTES];
            argon2.generateBytes(passphrase, key);
            return new MasterKeyProtector(key, "the passphrase in " + PASSPHRASE_VARIABLE);
        }

        @Override
        public String toString() {
            return "Passphrase[…]";
        }
    }

    /** An AWS KMS key (id, ARN or alias) that makes and opens the data keys. */
    record Kms(String keyId, Optional<String> region, Optional<URI> endpoint) implements KeySource {
        @Override
        public String kind() {
            return "kms";
        }

        @Override
        public KeyProtector protector(Keyring.Kdf kdf) {
            KmsClientBuilder builder = KmsClient.builder()
                    .httpClient(software.amazon.awssdk.http.apache5.Apache5HttpClient.builder().build());
            region.ifPresent(r -> builder.region(Region.of(r)));
            endpoint.ifPresent(builder::endpointOverride);
            return new KmsKeyProtector(builder.build(), keyId);
        }
    }

    /**
     * The key source the configuration names for an encrypted repository.
     *
     * @throws ConfigException when none is named, or more than one
     */
    static KeySource from(ConfigSource config) throws ConfigException {
        check(config);
        Optional<Path> keyFile = config.raw(ConfigKeys.ENCRYPTION_KEY_FILE).map(String::strip).filter(v -> !v.isEmpty())
                .isPresent() ? config.path(ConfigKeys.ENCRYPTION_KEY_FILE) : Optional.empty();
        Optional<String> kmsKey = nonEmpty(config, ConfigKeys.ENCRYPTION_KMS_KEY_ID);
        Map<String, String> env = config.environment();
        Optional<String> passphrase = Optional.ofNullable(env.get(PASSPHRASE_VARIABLE)).filter(p -> !p.isEmpty());
        if (keyFile.isPresent() && kmsKey.isPresent()) {
            throw config.invalid(ConfigKeys.ENCRYPTION_KMS_KEY_ID,
                    "is set together with repository.encryption.key_file; name one key source");
        }
        if (keyFile.isPresent()) {
            return new KeyFile(keyFile.get());
        }
        if (kmsKey.isPresent()) {
            Optional<URI> endpoint = kmsEndpoint(config);
            Optional<String> region = nonEmpty(config, ConfigKeys.ENCRYPTION_KMS_REGION);
            if (region.isEmpty() && endpoint.isPresent()) {
                region = Optional.of("us-east-1"); // the SDK needs one to sign; a stand-in accepts any
            }
            return new Kms(kmsKey.get(), region, endpoint);
        }
        if (passphrase.isPresent()) {
            return new Passphrase(passphrase.get().toCharArray());
        }
        throw config.invalid(ConfigKeys.ENCRYPTION, "is aes-256-gcm but no key is given: set "
                + ConfigKeys.ENCRYPTION_KEY_FILE.name() + " (a file of 64 hex digits, mode 0600), "
                + ConfigKeys.ENCRYPTION_KMS_KEY_ID.name() + ", or the environment variable " + PASSPHRASE_VARIABLE);
    }

    /**
     * Checks the values of the {@code repository.encryption.*} keys that are set, without
     * requiring a key: for commands that don't open the repository.
     */
    public static void check(ConfigSource config) throws ConfigException {
        config.path(ConfigKeys.ENCRYPTION_KEY_FILE);
        kmsEndpoint(config);
    }

    private static Optional<URI> kmsEndpoint(ConfigSource config) throws ConfigException {
        Optional<URI> endpoint;
        try {
            endpoint = nonEmpty(config, ConfigKeys.ENCRYPTION_KMS_ENDPOINT).map(URI::create);
        } catch (IllegalArgumentException e) {
            throw config.invalid(ConfigKeys.ENCRYPTION_KMS_ENDPOINT, "not a URL like https://host:port");
        }
        if (endpoint.isPresent() && (endpoint.get().getScheme() == null || endpoint.get().getHost() == null)) {
            throw config.invalid(ConfigKeys.ENCRYPTION_KMS_ENDPOINT, "'" + endpoint.get()
                    + "' is not a URL like https://host:port");
        }
        return endpoint;
    }

    private static Optional<String> nonEmpty(ConfigSource config, dev.walden.config.ConfigKey key) {
        return config.raw(key).map(String::strip).filter(v -> !v.isEmpty());
    }
}
