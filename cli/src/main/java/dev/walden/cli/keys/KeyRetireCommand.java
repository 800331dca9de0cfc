package dev.walden.cli.keys;

import dev.walden.cli.options.ConfigOption;
import dev.walden.config.ConfigException;
import java.io.IOException;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code walden key retire ID}: no new object uses the key. */
@Command(name = "retire", mixinStandardHelpOptions = true,
        description = {"Retire a data key: no new object is encrypted with it; objects under it stay readable until "
                + "'walden key rewrap' re-encrypts them. The last key new objects could use can't be retired."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:retired (or already retired)", "1:not retired: the message says why"})
public final class KeyRetireCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ConfigOption config;

    @Parameters(index = "0", paramLabel = "ID", description = "the key's id, as 'walden key list' shows it")
    int id;

    @Override
    public Integer call() throws ConfigException, IOException {
        return KeyCommand.changeKeyring(config, spec, "key retire", storage -> {
            storage.keyring().retire(storage.inner(), id, Instant.now());
            return new KeyCommand.Said("retired key " + id, "retired key " + id + " of " + storage.describe()
                    + "; 'walden key rewrap' re-encrypts the objects still under it");
        });
    }
}
