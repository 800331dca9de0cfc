package dev.walden.backup;

import dev.walden.config.ConfigException;
import dev.walden.config.ConfigKeys;
import dev.walden.config.ConfigSource;
import dev.walden.db.ConnectionSettings;
import dev.walden.dump.LogicalDump;
import dev.walden.retention.RetentionPolicy;
import java.nio.file.Path;
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
     * Reads the settings: pgdata, then the connection ({@link ConnectionSettings#from}), then
     * what each of base backup, dump and retention reads of its own keys.
     */
    public static BackupSettings from(ConfigSource config, Map<String, String> env) throws ConfigException {
        Path pgdata = config.requiredPath(ConfigKeys.PGDATA);
        ConnectionSettings connection = ConnectionSettings.from(config, env);
        Values v = values(config);
        return new BackupSettings(pgdata, v.dump().pgBin(), connection, v.backup(), v.dump(),
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

    private record Values(BaseBackup.Options backup, LogicalDump.Options dump, List<String> databases,
                          RetentionPolicy retention) {
    }

    private static Values values(ConfigSource config) throws ConfigException {
        return new Values(BaseBackup.Options.from(config), LogicalDump.Options.from(config),
                LogicalDump.databases(config), RetentionPolicy.from(config));
    }
}
