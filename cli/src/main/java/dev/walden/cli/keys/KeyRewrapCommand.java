package dev.walden.cli.keys;

import dev.walden.catalog.AuditLog;
import dev.walden.cli.options.ConfigOption;
import dev.walden.config.ConfigException;
import dev.walden.console.Sizes;
import dev.walden.crypto.EncryptingStorage;
import dev.walden.crypto.Rewrap;
import dev.walden.repo.StorageFactory;
import dev.walden.storage.Storage;
import dev.walden.storage.StorageLock;
import dev.walden.storage.StorageLockedException;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code walden key rewrap}: re-encrypt what is still under a retired key. */
@Command(name = "rewrap", mixinStandardHelpOptions = true,
        description = {"Re-encrypt every object still under a retired key with the current key: one object at a time, "
                + "streamed, each replaced atomically. Holds the backup lock, so no backup or expiry runs meanwhile. "
                + "An object that fails authentication is left as it is and named."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:nothing is left under a retired key", "1:some objects failed authentication, or the "
                + "rewrap could not run: the message says why"})
public final class KeyRewrapCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ConfigOption config;

    @Override
    public Integer call() throws ConfigException, IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try (Storage storage = StorageFactory.open(config.locate())) {
            EncryptingStorage encrypted = KeyCommand.encrypted(storage);
            Instant started = Instant.now();
            Rewrap.Result result;
            StorageLock lock;
            try {
                lock = storage.lock("backup", KeyListCommand.owner("key rewrap"));
            } catch (StorageLockedException e) {
                throw new IOException("a base backup or expiry is running (" + e.holder() + "); rewrap when it is done",
                        e);
            }
            try (lock) {
                result = Rewrap.run(encrypted, key -> { });
            }
            String summary = "re-encrypted " + result.rewrapped() + " object(s) (" + Sizes.bytes(result.bytes())
                    + ") with key " + encrypted.keyring().current().id()
                    + (result.failed() == 0 ? "" : "; " + result.failed() + " failed authentication and were left as "
                    + "they are, the first: " + result.firstFailure());
            new AuditLog(storage).tryAppend(AuditLog.entry("rewrap", storage.describe(), result.failed() == 0, summary,
                    started, Clock.systemUTC(), "command"), w -> err.println("walden key rewrap: " + w));
            out.println(summary);
            return result.failed() == 0 ? 0 : 1;
        }
    }
}
