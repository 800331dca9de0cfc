package dev.walden.cli.keys;

import dev.walden.catalog.AuditLog;
import dev.walden.cli.options.ConfigOption;
import dev.walden.config.ConfigException;
import dev.walden.crypto.EncryptingStorage;
import dev.walden.crypto.Keyring;
import dev.walden.repo.StorageFactory;
import dev.walden.storage.Storage;
import dev.walden.storage.StorageLock;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code walden key add}: a new data key for new objects. */
@Command(name = "add", mixinStandardHelpOptions = true,
        description = {"Add a new data key to the repository's keyring.json, protected like the others; new objects "
                + "are encrypted with it from now on (a running agent within a minute: it checks keyring.json)."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:added", "1:not added: the message says why"})
public final class KeyAddCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ConfigOption config;

    @Override
    public Integer call() throws ConfigException, IOException {
        try (Storage storage = StorageFactory.open(config.locate())) {
            EncryptingStorage encrypted = KeyCommand.encrypted(storage);
            Instant started = Instant.now();
            Keyring added;
            StorageLock lock = storage.lock("backup", KeyListCommand.owner("key add"));
            try (lock) {
                added = encrypted.keyring().add(encrypted.inner(), Instant.now());
            }
            new AuditLog(storage).tryAppend(AuditLog.entry("key", storage.describe(), true, "added key "
                    + added.current().id(), started, Clock.systemUTC(), "command"),
                    w -> spec.commandLine().getErr().println("walden key add: " + w));
            spec.commandLine().getOut().println("added key " + added.current().id() + " to " + storage.describe()
                    + "; new objects use it (a running agent within a minute)");
        }
        return 0;
    }
}
