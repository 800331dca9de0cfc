package dev.walden.cli.keys;

import dev.walden.catalog.AuditLog;
import dev.walden.cli.options.ConfigOption;
import dev.walden.config.ConfigException;
import dev.walden.crypto.EncryptingStorage;
import dev.walden.repo.StorageFactory;
import dev.walden.storage.Storage;
import dev.walden.storage.StorageLock;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code walden key}: the keys of an encrypted repository. */
@Command(name = "key", mixinStandardHelpOptions = true,
        description = {"Manage the data keys of an encrypted repository (repository.encryption = aes-256-gcm).",
                "New objects are encrypted with the newest key that is not retired; every key stays readable. "
                        + "A rotation: 'walden key add', 'walden key retire OLD' (a running agent follows within a "
                        + "minute), "
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

    /** What a change of the keyring says: in the audit trail, and to the operator after it. */
    record Said(String audit, String printed) {
    }

    /** One change of keyring.json, made under the backup lock; returns what to say of it. */
    interface KeyringChange {
        Said apply(EncryptingStorage storage) throws IOException;
    }

    /**
     * Opens the repository, makes {@code change} under the backup lock (so that two key commands,
     * or a key command and a rewrap, never rewrite keyring.json at once), adds a {@code key} entry
     * to the audit trail and prints what was done: {@code walden key add}, {@code retire},
     * {@code protect}.
     */
    static int changeKeyring(ConfigOption config, CommandSpec spec, String command, KeyringChange change)
            throws ConfigException, IOException {
        try (Storage storage = StorageFactory.open(config.locate())) {
            EncryptingStorage encrypted = encrypted(storage);
            Instant started = Instant.now();
            Said said;
            StorageLock lock = storage.lock("backup", KeyListCommand.owner(command));
            try (lock) {
                said = change.apply(encrypted);
            }
            new AuditLog(storage).tryAppend(AuditLog.entry("key", storage.describe(), true, said.audit(), started,
                    Clock.systemUTC(), "command"),
                    w -> spec.commandLine().getErr().println("walden " + command + ": " + w));
            spec.commandLine().getOut().println(said.printed());
        }
        return 0;
    }

    /** The storage as an encrypted one, or a one-line refusal. */
    static EncryptingStorage encrypted(Storage storage) throws IOException {
        if (storage instanceof EncryptingStorage encrypting) {
            return encrypting;
        }
        throw new IOException("repository " + storage.describe() + " is not encrypted: it has no keys");
    }
}
