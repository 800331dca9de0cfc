package dev.walden.repo;

import dev.walden.config.ConfigException;
import dev.walden.config.ConfigKeys;
import dev.walden.config.ConfigSource;

/** {@code compression} and {@code compression.level}, read and checked in one place. */
public record CompressionSetting(Compression compression, int level) {

    public static CompressionSetting from(ConfigSource config) throws ConfigException {
        Compression compression;
        try {
            compression = Compression.fromConfigName(config.required(ConfigKeys.COMPRESSION));
        } catch (IllegalArgumentException e) {
            throw config.invalid(ConfigKeys.COMPRESSION, e.getMessage());
        }
        int level = compression.defaultLevel();
        if (!config.raw(ConfigKeys.COMPRESSION_LEVEL).orElse("").isBlank()) {
            level = config.integer(ConfigKeys.COMPRESSION_LEVEL, Integer.MIN_VALUE, Integer.MAX_VALUE);
            try {
                compression.checkLevel(level);
            } catch (IllegalArgumentException e) {
                throw config.invalid(ConfigKeys.COMPRESSION_LEVEL, e.getMessage());
            }
        }
        return new CompressionSetting(compression, level);
    }
}
