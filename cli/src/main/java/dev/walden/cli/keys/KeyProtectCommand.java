package dev.walden.cli.keys;

import dev.walden.cli.options.ConfigOption;
import dev.walden.config.ConfigException;
import dev.walden.crypto.KeySource;
import dev.walden.crypto.Keyring;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code walden key protect}: the same keys, opened by a new key file, passphrase or KMS key. */
@Command(name = "protect", mixinStandardHelpOptions = true,
        description = {"Protect the repository's keys with another key: a new key file, a new passphrase (read from "
                + "standard input, never argv) or another KMS key. keyring.json is rewritten atomically; no object "
                + "changes, and from then on only the new key opens the repository. The configured key must still "
                + "open it. Then change the configuration (and the secret everywhere walden runs) to the new key and "
                + "restart the agent.",
                "After a leaked key, also rotate the data keys: walden key add, retire, rewrap."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:protected by the new key", "1:not changed: the message says why"})
public final class KeyProtectCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ConfigOption config;

    @ArgGroup(exclusive = true, multiplicity = "1")
    NewKey newKey;

    /** Exactly one new key source. */
    static final class NewKey {
        @Option(names = "--new-key-file", paramLabel = "FILE",
                description = "a new key file (64 hex digits, mode 0600, yours)")
        Path keyFile;

        @Option(names = "--new-kms-key-id", paramLabel = "KEY", description = "another AWS KMS key (id, ARN or alias)")
        String kmsKeyId;

        @Option(names = "--new-passphrase",
                description = "a new passphrase, read from the first line of standard input")
        boolean passphrase;
    }

    @Option(names = "--new-kms-region", paramLabel = "REGION", description = "the region of --new-kms-key-id")
    String kmsRegion;

    @Override
    public Integer call() throws ConfigException, IOException {
        KeySource source = newSource();
        return KeyCommand.changeKeyring(config, spec, "key protect", storage -> {
            Keyring protectedRing = storage.keyring().protect(storage.inner(), source);
            String summary = "the keys of " + storage.describe() + " are now protected by "
                    + protectedRing.protection();
            return new KeyCommand.Said(summary, summary + "; configure that key wherever walden runs, and restart"
                    + " the agent");
        });
    }

    private KeySource newSource() throws IOException {
        if (newKey.keyFile != null) {
            return new KeySource.KeyFile(newKey.keyFile.toAbsolutePath());
        }
        if (newKey.kmsKeyId != null) {
            return new KeySource.Kms(newKey.kmsKeyId, Optional.ofNullable(kmsRegion), Optional.empty());
        }
        String line = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
        if (line == null || line.isEmpty()) {
            throw new IOException("--new-passphrase: no passphrase on standard input");
        }
        return new KeySource.Passphrase(line.toCharArray());
    }
}
