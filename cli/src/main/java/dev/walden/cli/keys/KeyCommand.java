package dev.walden.cli.keys;

import dev.walden.crypto.EncryptingStorage;
import dev.walden.storage.Storage;
import java.io.IOException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code walden key}: the keys of an encrypted repository. */
@Command(name = "key", mixinStandardHelpOptions = true,
        description = {"Manage the data keys of an encrypted repository (repository.encryption = aes-256-gcm).",
                "New objects are encrypted with the newest key that is not retired; every key stays readable. "
                        + "A rotation: 'walden key add', 'walden key retire OLD' (a running agent follows within a minute), "
                        + "'walden key rewrap', then 'walden verify' shows no object under the retired key."},
        subcommands = {KeyAddCommand.class, KeyListCommand.class, KeyRetireCommand.class, KeyRewrapCommand.class,
                KeyProtectCommand.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:done (each subcommand's --help lists its own codes)",
                "1:not done: the message says why (no such key, an unencrypted repository, the wrong key)",
                "2:no subcommand given: the usage is printed"})
public final class KeyCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return 2;
    }

    /** The storage as an encrypted one, or a one-line refusal. */
    static EncryptingStorage encrypted(Storage storage) throws IOException {
        if (storage instanceof EncryptingStorage encrypting) {
            return encrypting;
        }
        throw new IOException("repository " + storage.describe() + " is not encrypted: it has no keys");
    }
}
