package dev.walden.cli;

import dev.walden.agent.AgentConfig;
import dev.walden.agent.jobs.JobSetup;
import dev.walden.cli.setup.AgentCommand;
import dev.walden.config.ConfigException;
import dev.walden.config.ConfigKeys;
import dev.walden.config.ConfigSource;
import dev.walden.drill.DrillSettings;
import dev.walden.repo.StorageFactory;

/**
 * Every key's value, checked by the rules of the code that reads it, for every command: a config
 * the agent would refuse is refused by {@code walden list} too, even for keys list never reads.
 * Nothing is required that a command may not need (pgdata, agent.socket, the S3 bucket: each
 * command asks for what it needs), and nothing is opened, connected to or resolved.
 */
final class WholeConfig {
    private WholeConfig() {
    }

    static void check(ConfigSource config) throws ConfigException {
        StorageFactory.check(config); // repository.type, repository.path, repository.s3.*
        AgentConfig.check(config); // pgdata, pg_wal, agent.*, compression, compression.level, push.timeout
        JobSetup.check(config); // pg_bin, backup.*, dump.*, retention.*, schedule, schedule.jobs
        AgentCommand.check(config); // log.format, log.level, http.listen
        config.duration(ConfigKeys.FETCH_TIMEOUT); // as walden fetch reads it
        DrillSettings.check(config); // drill.*
    }
}
