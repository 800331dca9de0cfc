package dev.walden.cli.keys;

import dev.walden.cli.options.ConfigOption;
import dev.walden.config.ConfigException;
import dev.walden.crypto.Keyring;
import java.io.IOException;
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
        return KeyCommand.changeKeyring(config, spec, "key add", storage -> {
            Keyring added = storage.keyring().add(storage.inner(), Instant.now());
            return new KeyCommand.Said("added key " + added.current().id(), "added key " + added.current().id()
                    + " to " + storage.describe() + "; new objects use it (a running agent within a minute)");
        });
    }
}
