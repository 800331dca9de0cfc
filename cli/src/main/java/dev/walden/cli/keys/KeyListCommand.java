package dev.walden.cli.keys;

import dev.walden.cli.options.ConfigOption;
import dev.walden.config.ConfigException;
import dev.walden.crypto.Keyring;
import dev.walden.repo.Json;
import dev.walden.repo.StorageFactory;
import dev.walden.storage.HostName;
import dev.walden.storage.Storage;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code walden key list}: the keyring, without key material. */
@Command(name = "list", mixinStandardHelpOptions = true,
        description = {"Show the repository's data keys: id, when each was added and retired, which one new objects "
                + "use, and what protects them. No key material is ever shown. 'walden verify' counts the objects "
                + "under each key."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:shown", "1:the keyring could not be opened: the message says why"})
public final class KeyListCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ConfigOption config;

    @Option(names = "--json", description = "machine-readable output")
    boolean json;

    @Override
    public Integer call() throws ConfigException, IOException {
        PrintWriter out = spec.commandLine().getOut();
        try (Storage storage = StorageFactory.open(config.locate())) {
            Keyring keyring = KeyCommand.encrypted(storage).keyring();
            int current = keyring.current().id();
            List<Keyring.Entry> entries = keyring.entries();
            if (json) {
                Map<String, Object> doc = new LinkedHashMap<>();
                doc.put("repository", storage.describe());
                doc.put("protection", keyring.protection());
                doc.put("current", current);
                doc.put("keys", entries.stream().map(e -> {
                    Map<String, Object> key = new LinkedHashMap<>();
                    key.put("id", e.id());
                    key.put("created", e.created());
                    key.put("retired", e.retired());
                    return key;
                }).toList());
                out.println(Json.MAPPER.writeValueAsString(doc));
                return 0;
            }
            out.println("keys of " + storage.describe() + ", protected by " + keyring.protection());
            out.printf("%-4s %-28s %s%n", "ID", "ADDED", "STATE");
            for (Keyring.Entry e : entries) {
                String state = e.isRetired() ? "retired " + e.retired()
                        : e.id() == current ? "current: new objects use it" : "readable";
                out.printf("%-4d %-28s %s%n", e.id(), e.created(), state);
            }
        }
        return 0;
    }

    /** Who holds the lock while a key command runs, for another process's message. */
    static String owner(String command) {
        return "walden " + command + " (pid " + ProcessHandle.current().pid() + " on " + HostName.get() + ")";
    }
}
