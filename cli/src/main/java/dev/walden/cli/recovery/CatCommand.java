package dev.walden.cli.recovery;

import dev.walden.config.ConfigException;
import dev.walden.config.ConfigKeys;
import dev.walden.config.ConfigSource;
import dev.walden.crypto.EncryptingStorage;
import dev.walden.crypto.KeySource;
import dev.walden.crypto.Keyring;
import dev.walden.repo.Compression;
import dev.walden.repo.Repository;
import dev.walden.repo.StorageFactory;
import dev.walden.storage.Storage;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code walden cat FILE}: one object of an encrypted repository, decrypted, by hand. */
@Command(name = "cat", mixinStandardHelpOptions = true,
        description = {"Decrypt one object of an encrypted repository: recovery by hand, with only the files and the "
                + "key. FILE is the object's file in a copy of the repository (a posix repository, or a bucket copied "
                + "with any sync tool); the repository's root is the nearest directory above it holding "
                + "repository.json and keyring.json. No agent, no config file.",
                "The key: --key-file, or --kms-key-id (AWS credentials from the SDK's default chain), or else the "
                        + "passphrase in WALDEN_REPOSITORY_PASSPHRASE.",
                "Writes the object as walden stored it before encrypting it (compressed: pipe it to zstd -d), or "
                        + "with --decompress the original file (the format's own checksum is checked too)."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:written, authenticated to its last byte", "1:not written: the message says why (no "
                + "repository above FILE, the wrong key, an object that fails authentication)"})
public final class CatCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE", description = "the object's file in a copy of the repository")
    Path file;

    @Option(names = "--key-file", paramLabel = "FILE", description = "the file holding the master key")
    Path keyFile;

    @Option(names = "--kms-key-id", paramLabel = "KEY", description = "the AWS KMS key that protects the keyring")
    String kmsKeyId;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE",
            description = "where to write (default: standard output); written to a temporary name first, renamed "
                    + "once authenticated")
    Path output;

    @Option(names = "--decompress", description = "decompress by the object's extension (.zst, .lz4, .gz)")
    boolean decompress;

    @Override
    public Integer call() throws ConfigException, IOException {
        Path object = file.toAbsolutePath().normalize();
        Path root = rootOf(object);
        String key = root.relativize(object).toString();
        Map<String, String> settings = new HashMap<>(Map.of(
                ConfigKeys.REPOSITORY_PATH.environmentVariable(), root.toString(),
                ConfigKeys.ENCRYPTION.environmentVariable(), Keyring.CIPHER));
        Optional.ofNullable(System.getenv(KeySource.PASSPHRASE_VARIABLE))
                .ifPresent(p -> settings.put(KeySource.PASSPHRASE_VARIABLE, p));
        if (keyFile != null) {
            settings.put(ConfigKeys.ENCRYPTION_KEY_FILE.environmentVariable(), keyFile.toString());
        }
        if (kmsKeyId != null) {
            settings.put(ConfigKeys.ENCRYPTION_KMS_KEY_ID.environmentVariable(), kmsKeyId);
        }
        ConfigSource config = ConfigSource.load(null, false, settings);
        try (Storage storage = StorageFactory.open(config)) {
            Repository.open(storage);
            if (!(storage instanceof EncryptingStorage)) {
                throw new IOException("repository " + storage.describe() + " is not encrypted: its objects need no "
                        + "walden to read (zstd -d)");
            }
            InputStream in = storage.read(key);
            if (decompress) {
                String name = object.getFileName().toString();
                String extension = name.contains(".") ? name.substring(name.lastIndexOf('.') + 1) : "";
                in = Compression.fromExtension(extension).orElse(Compression.NONE).decompress(in);
            }
            try (InputStream content = in) {
                write(content);
            }
        }
        return 0;
    }

    /** To stdout, or to a temporary file renamed to --output once every byte authenticated. */
    private void write(InputStream content) throws IOException {
        if (output == null) {
            OutputStream out = new FileOutputStream(FileDescriptor.out);
            content.transferTo(out);
            out.flush();
            return;
        }
        Path target = output.toAbsolutePath();
        Path temporary = target.resolveSibling("." + target.getFileName() + ".walden-cat.tmp");
        try {
            Files.copy(content, temporary, StandardCopyOption.REPLACE_EXISTING);
            Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(temporary);
        }
    }

    private static Path rootOf(Path object) throws IOException {
        if (!Files.isRegularFile(object)) {
            throw new IOException("'" + object + "' is not a file");
        }
        for (Path dir = object.getParent(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve(Repository.INFO_KEY)) && Files.isRegularFile(dir.resolve(Keyring.KEY))) {
                return dir;
            }
        }
        throw new IOException("no directory above '" + object + "' holds " + Repository.INFO_KEY + " and "
                + Keyring.KEY + ": copy them along with the object, keeping the repository's layout");
    }
}
