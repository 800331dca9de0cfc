package dev.walden.backup;

import dev.walden.config.ConfigException;
import dev.walden.config.ConfigKey;
import dev.walden.config.ConfigKeys;
import dev.walden.config.ConfigSource;
import dev.walden.db.ConnectionSettings;
import dev.walden.db.DotEnv;
import dev.walden.dump.DumpFormat;
import dev.walden.dump.LogicalDump;
import dev.walden.repo.Compression;
import dev.walden.repo.CompressionSetting;
import dev.walden.retention.RetentionPolicy;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Everything backups, dumps and retention read from the configuration and the environment,
 * validated in one place; every error names the key (or variable) that is wrong.
 */
public record BackupSettings(
        Path pgdata,
        Optional<Path> pgBin,
        ConnectionSettings connection,
        BaseBackup.Options backup,
        LogicalDump.Options dump,
        List<String> dumpDatabases,
        RetentionPolicy retention) {

    /**
     * Reads the settings. The connection comes from {@code env}, with a {@code .env} file in the
     * config file's directory filling in what the environment doesn't set.
     */
    public static BackupSettings from(ConfigSource config, Map<String, String> env) throws ConfigException {
        Path pgdata = config.requiredPath(ConfigKeys.PGDATA);
        Map<String, String> dotEnv;
        Path dotEnvFile = config.baseDirectory().resolve(".env");
        try {
            dotEnv = DotEnv.read(dotEnvFile);
        } catch (IOException e) {
            throw new ConfigException("cannot read '" + dotEnvFile + "': " + e.getMessage(), e);
        }
        ConnectionSettings connection;
        try {
            connection = ConnectionSettings.resolve(env, dotEnv, System.getProperty("user.name"));
        } catch (IllegalArgumentException e) {
            throw new ConfigException("database connection: " + e.getMessage());
        }
        Values v = values(config);
        return new BackupSettings(pgdata, v.pgBin(), connection, v.backup(), v.dump(),
                v.databases().isEmpty() ? List.of(connection.database()) : v.databases(), v.retention());
    }

    /**
     * Checks every key value backups, dumps and retention read, by the same rules, without
     * requiring {@code pgdata} and without reading the connection: for commands that don't need them.
     */
    public static void check(ConfigSource config) throws ConfigException {
        config.path(ConfigKeys.PGDATA);
        values(config);
    }

    /** What the keys say, apart from pgdata and the connection. */
    private record Values(Optional<Path> pgBin, BaseBackup.Options backup, LogicalDump.Options dump,
                          List<String> databases, RetentionPolicy retention) {
    }

    private static Values values(ConfigSource config) throws ConfigException {
        Optional<Path> pgBin = config.path(ConfigKeys.PG_BIN);
        CompressionSetting compression = CompressionSetting.from(config);
        String checkpoint = config.required(ConfigKeys.BACKUP_CHECKPOINT);
        if (!checkpoint.equals("fast") && !checkpoint.equals("spread")) {
            throw config.invalid(ConfigKeys.BACKUP_CHECKPOINT, "'" + checkpoint + "' is neither fast nor spread");
        }
        BaseBackup.Options backup = new BaseBackup.Options(config.integer(ConfigKeys.BACKUP_WORKERS, 1, 64),
                checkpoint.equals("fast"), config.duration(ConfigKeys.BACKUP_WAL_TIMEOUT),
                config.bool(ConfigKeys.BACKUP_VERIFY_CHECKSUMS), compression.compression(), compression.level());
        Compression dumpCompression = choose(config, ConfigKeys.DUMP_COMPRESSION, name -> {
            Compression c = Compression.fromConfigName(name);
            if (c == Compression.LZ4) {
                throw new IllegalArgumentException("'lz4' is not offered for dumps (expected none, gzip or zstd)");
            }
            return c;
        });
        LogicalDump.Options dump = new LogicalDump.Options(pgBin, choose(config, ConfigKeys.DUMP_FORMAT,
                DumpFormat::fromConfigName), dumpCompression, config.duration(ConfigKeys.DUMP_TIMEOUT));
        List<String> databases = Arrays.stream(config.raw(ConfigKeys.DUMP_DATABASES).orElse("").split(","))
                .map(String::strip).filter(s -> !s.isEmpty()).toList();
        RetentionPolicy retention = new RetentionPolicy(
                config.integer(ConfigKeys.RETENTION_BACKUP_DAYS, 0, 36500),
                config.integer(ConfigKeys.RETENTION_BACKUP_COUNT, 0, 100000),
                config.integer(ConfigKeys.RETENTION_DUMP_DAYS, 0, 36500),
                config.integer(ConfigKeys.RETENTION_DUMP_COUNT, 0, 100000));
        return new Values(pgBin, backup, dump, databases, retention);
    }

    private interface Parser<T> {
        T parse(String value);
    }

    private static <T> T choose(ConfigSource config, ConfigKey key, Parser<T> parser) throws ConfigException {
        try {
            return parser.parse(config.required(key));
        } catch (IllegalArgumentException e) {
            throw config.invalid(key, e.getMessage());
        }
    }
}
