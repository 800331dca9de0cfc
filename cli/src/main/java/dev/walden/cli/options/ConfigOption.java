package dev.walden.cli.options;

import dev.walden.config.ConfigException;
import dev.walden.config.ConfigSource;
import picocli.CommandLine.Option;

/** {@code --config FILE}, written once: every command that reads the configuration mixes it in. */
public final class ConfigOption {
    @Option(names = "--config", paramLabel = "FILE",
            description = "config file (default: $WALDEN_CONFIG, else /etc/walden/walden.conf)")
    String file;

    /** As if given {@code --config FILE} (or not given, when {@code file} is null). */
    public static ConfigOption of(String file) {
        ConfigOption option = new ConfigOption();
        option.file = file;
        return option;
    }

    /** The file given with --config, or null. */
    public String file() {
        return file;
    }

    /** The configuration: --config, else $WALDEN_CONFIG, else /etc/walden/walden.conf. */
    public ConfigSource locate() throws ConfigException {
        return ConfigSource.locate(file, System.getenv());
    }
}
