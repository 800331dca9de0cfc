package dev.walden.config;

import java.util.List;
import java.util.Optional;

/**
 * Every configuration key walden knows, declared once. {@code docs/configuration.md} documents each
 * of them (a test keeps the two in step), and a key that isn't here is refused at start-up.
 */
public final class ConfigKeys {
    public static final ConfigKey PGDATA = new ConfigKey("pgdata", null,
            "PostgreSQL data directory of the cluster this agent serves (required by the agent)");
    public static final ConfigKey PG_WAL = new ConfigKey("pg_wal", null,
            "WAL directory the agent may archive from; default: <pgdata>/pg_wal");
    public static final ConfigKey PG_BIN = new ConfigKey("pg_bin", "",
            "directory of PostgreSQL's programs (initdb, pg_ctl, ...); empty: the newest found in the usual places");
    public static final ConfigKey REPOSITORY_PATH = new ConfigKey("repository.path", "backups",
            "directory of the local repository");
    public static final ConfigKey REPOSITORY_TYPE = new ConfigKey("repository.type", "posix",
            "where the repository is: posix (a directory, repository.path) or s3 (an S3 bucket, repository.s3.*)");
    public static final ConfigKey S3_BUCKET = new ConfigKey("repository.s3.bucket", null,
            "bucket of the S3 repository; it must exist (walden never creates buckets)");
    public static final ConfigKey S3_PREFIX = new ConfigKey("repository.s3.prefix", "",
            "key prefix of this cluster's repository in the bucket, e.g. clusters/db1; many clusters share a bucket");
    public static final ConfigKey S3_REGION = new ConfigKey("repository.s3.region", "",
            "region of the bucket; empty: the SDK's default chain (AWS_REGION, profile), us-east-1 with an endpoint");
    public static final ConfigKey S3_ENDPOINT = new ConfigKey("repository.s3.endpoint", "",
            "endpoint URL for S3-compatible stores (MinIO, Ceph, R2); empty: AWS");
    public static final ConfigKey S3_PATH_STYLE = new ConfigKey("repository.s3.path_style", "off",
            "path-style requests (endpoint/bucket/key) instead of virtual-hosted ones: on for MinIO and Ceph");
    public static final ConfigKey S3_SSE = new ConfigKey("repository.s3.sse", "none",
            "server-side encryption: none (the bucket's default), s3 (SSE-S3) or kms (SSE-KMS)");
    public static final ConfigKey S3_KMS_KEY_ID = new ConfigKey("repository.s3.kms_key_id", "",
            "KMS key id or ARN for repository.s3.sse = kms; empty: the account's aws/s3 key");
    public static final ConfigKey S3_STORAGE_CLASS = new ConfigKey("repository.s3.storage_class", "",
            "storage class of new objects, e.g. STANDARD_IA; empty: the bucket's default (STANDARD)");
    public static final ConfigKey S3_TIMEOUT = new ConfigKey("repository.s3.timeout", "30s",
            "longest one S3 request attempt may take (also the longest a read may stall)");
    public static final ConfigKey S3_ATTEMPTS = new ConfigKey("repository.s3.attempts", "5",
            "attempts per S3 request for transient errors (5xx, throttling, resets, timeouts), with backoff and jitter (1-20)");
    public static final ConfigKey ENCRYPTION = new ConfigKey("repository.encryption", "none",
            "client-side encryption of every stored object: none or aes-256-gcm; chosen at walden init and must match the repository");
    public static final ConfigKey ENCRYPTION_KEY_FILE = new ConfigKey("repository.encryption.key_file", "",
            "file holding the master key (64 hex digits, mode 0600, owned by walden's user); or kms_key_id; or neither and WALDEN_REPOSITORY_PASSPHRASE");
    public static final ConfigKey ENCRYPTION_KMS_KEY_ID = new ConfigKey("repository.encryption.kms_key_id", "",
            "AWS KMS key (id, ARN or alias) that makes and opens the repository's data keys (envelope encryption)");
    public static final ConfigKey ENCRYPTION_KMS_REGION = new ConfigKey("repository.encryption.kms_region", "",
            "region of the KMS key; empty: the SDK's default chain, us-east-1 with an endpoint");
    public static final ConfigKey ENCRYPTION_KMS_ENDPOINT = new ConfigKey("repository.encryption.kms_endpoint", "",
            "endpoint URL for KMS (a VPC endpoint); empty: AWS");
    public static final ConfigKey AGENT_SOCKET = new ConfigKey("agent.socket", null,
            "Unix domain socket the agent listens on and walden-push connects to (required)");
    public static final ConfigKey AGENT_SOCKET_GROUP = new ConfigKey("agent.socket_group", "",
            "group that may connect to the socket (mode 0660); empty: owner only (mode 0600)");
    public static final ConfigKey AGENT_WORKERS = new ConfigKey("agent.workers", "2",
            "files archived in parallel (1-64)");
    public static final ConfigKey AGENT_QUEUE_CAPACITY = new ConfigKey("agent.queue_capacity", "1024",
            "requests that may wait for a worker before new ones are refused as overloaded (16-1048576, rounded up to a power of two)");
    public static final ConfigKey AGENT_STORE_TIMEOUT = new ConfigKey("agent.store_timeout", "50s",
            "longest the agent lets one file take before it answers with a timeout error");
    public static final ConfigKey AGENT_SHUTDOWN_TIMEOUT = new ConfigKey("agent.shutdown_timeout", "30s",
            "on shutdown, longest the agent waits for files already being archived");
    public static final ConfigKey AGENT_LOOK_AHEAD = new ConfigKey("agent.look_ahead", "on",
            "archive files PostgreSQL marked .ready before it asks for them (on/off)");
    public static final ConfigKey AGENT_MAX_CONNECTIONS = new ConfigKey("agent.max_connections", "128",
            "connections the agent serves at a time; one more is answered too_many_connections and closed (1-65536)");
    public static final ConfigKey AGENT_FRAME_TIMEOUT = new ConfigKey("agent.frame_timeout", "10s",
            "longest a request may take to arrive, from its first byte to its last, before the connection is closed (100ms-120s)");
    public static final ConfigKey AGENT_STREAM = new ConfigKey("agent.stream", "off",
            "stream WAL over replication into the repository as it is written, through the slot walden_<system id> (on/off)");
    public static final ConfigKey AGENT_STREAM_FLUSH = new ConfigKey("agent.stream.flush", "1s",
            "longest streamed WAL waits before it is stored as a .partial object, or a finished segment for archive_command's copy (100ms-60s)");
    public static final ConfigKey AGENT_STREAM_SYNCHRONOUS = new ConfigKey("agent.stream.synchronous", "off",
            "store streamed WAL as soon as it arrives and confirm flush only then, for synchronous_standby_names = 'walden' (on/off)");
    public static final ConfigKey HTTP_LISTEN = new ConfigKey("http.listen", "127.0.0.1:10187",
            "host:port of the agent's HTTP endpoint (/metrics, /health, /status); off: no endpoint");
    public static final ConfigKey COMPRESSION = new ConfigKey("compression", "zstd",
            "compression of stored WAL: zstd, lz4, gzip or none");
    public static final ConfigKey COMPRESSION_LEVEL = new ConfigKey("compression.level", "",
            "compression level; empty: zstd 3, gzip 6, lz4 0 (fast); ranges zstd 1-19, gzip 1-9, lz4 0-17");
    public static final ConfigKey PUSH_TIMEOUT = new ConfigKey("push.timeout", "60s",
            "longest walden-push waits for the agent's answer");
    public static final ConfigKey FETCH_TIMEOUT = new ConfigKey("fetch.timeout", "5m",
            "longest walden fetch may take before it gives up with exit 201 (a hung repository must not hang recovery)");

    public static final ConfigKey BACKUP_WORKERS = new ConfigKey("backup.workers", "2",
            "files a base backup copies in parallel (1-64)");
    public static final ConfigKey BACKUP_CHECKPOINT = new ConfigKey("backup.checkpoint", "fast",
            "how a base backup starts: fast (an immediate checkpoint) or spread (waits for the next one)");
    public static final ConfigKey BACKUP_WAL_TIMEOUT = new ConfigKey("backup.wal_timeout", "5m",
            "how long a base backup waits for its WAL to be archived before it is recorded incomplete");
    public static final ConfigKey BACKUP_VERIFY_CHECKSUMS = new ConfigKey("backup.verify_checksums", "on",
            "check data page checksums while copying, when the cluster has them: on or off");
    public static final ConfigKey DUMP_DATABASES = new ConfigKey("dump.databases", "",
            "databases walden dump covers, comma-separated; empty: the connection's database");
    public static final ConfigKey DUMP_FORMAT = new ConfigKey("dump.format", "plain",
            "dump format: plain (SQL, for easy inspection) or custom (pg_dump -Fc)");
    public static final ConfigKey DUMP_COMPRESSION = new ConfigKey("dump.compression", "none",
            "compression of plain dumps: none, gzip or zstd");
    public static final ConfigKey DUMP_TIMEOUT = new ConfigKey("dump.timeout", "6h",
            "longest one pg_dump may run");
    public static final ConfigKey RETENTION_BACKUP_DAYS = new ConfigKey("retention.backup_days", "7",
            "recovery window in days: base backups needed to recover any moment of it are kept; 0: off");
    public static final ConfigKey RETENTION_BACKUP_COUNT = new ConfigKey("retention.backup_count", "0",
            "at most this many base backups are kept, the newest; 0: off");
    public static final ConfigKey RETENTION_DUMP_DAYS = new ConfigKey("retention.dump_days", "7",
            "dumps older than this many days are removed (the newest of each database stays); 0: off");
    public static final ConfigKey RETENTION_DUMP_COUNT = new ConfigKey("retention.dump_count", "0",
            "at most this many dumps per database are kept, the newest; 0: off");
    public static final ConfigKey SCHEDULE = new ConfigKey("schedule", "0 2 * * *",
            "when the agent runs its daily jobs: a cron expression (minute hour day month weekday) in the local "
                    + "time zone; empty: never");
    public static final ConfigKey SCHEDULE_JOBS = new ConfigKey("schedule.jobs", "backup,dump,expire",
            "what the scheduled run does, in order: any of backup, dump, expire");
    public static final ConfigKey SCHEDULE_FULL = new ConfigKey("schedule.full", "sun",
            "days whose first scheduled backup is full, comma-separated (mon,tue,…,sun); the others are incremental; "
                    + "*: every scheduled backup is full");
    public static final ConfigKey SCHEDULE_DRILL = new ConfigKey("schedule.drill", "30 4 * * 6",
            "when the agent runs a restore drill (walden drill, under nice): a cron expression in the local time zone; "
                    + "empty: never");
    public static final ConfigKey SCHEDULE_VERIFY = new ConfigKey("schedule.verify", "30 3 * * 3",
            "when the agent runs walden verify (under nice): a cron expression in the local time zone; empty: never");

    public static final ConfigKey DRILL_DIRECTORY = new ConfigKey("drill.directory", "",
            "scratch directory where walden drill restores its throwaway copy; empty: walden-drill next to pgdata");
    public static final ConfigKey DRILL_AMCHECK = new ConfigKey("drill.amcheck", "sample",
            "pg_amcheck in a drill: off, sample (the 10 largest tables of each database and their indexes) or all");
    public static final ConfigKey DRILL_CHECKS = new ConfigKey("drill.checks", "",
            "SQL file of the operator's checks, one query per line, each must return true; empty: none");

    public static final ConfigKey LOG_FORMAT = new ConfigKey("log.format", "text",
            "agent log lines: text (time=… level=… logger=… msg=\"…\") or json (one object per line)");
    public static final ConfigKey LOG_LEVEL = new ConfigKey("log.level", "info",
            "least severe agent log level written: debug, info, warn or error");

    public static final List<ConfigKey> ALL = List.of(PGDATA, PG_WAL, PG_BIN, REPOSITORY_PATH, REPOSITORY_TYPE,
            S3_BUCKET, S3_PREFIX, S3_REGION, S3_ENDPOINT, S3_PATH_STYLE, S3_SSE, S3_KMS_KEY_ID, S3_STORAGE_CLASS,
            S3_TIMEOUT, S3_ATTEMPTS, ENCRYPTION, ENCRYPTION_KEY_FILE, ENCRYPTION_KMS_KEY_ID, ENCRYPTION_KMS_REGION,
            ENCRYPTION_KMS_ENDPOINT, AGENT_SOCKET,
            AGENT_SOCKET_GROUP, AGENT_WORKERS, AGENT_QUEUE_CAPACITY, AGENT_STORE_TIMEOUT,
            AGENT_SHUTDOWN_TIMEOUT, AGENT_LOOK_AHEAD,
            AGENT_MAX_CONNECTIONS, AGENT_FRAME_TIMEOUT, AGENT_STREAM, AGENT_STREAM_FLUSH, AGENT_STREAM_SYNCHRONOUS,
            HTTP_LISTEN, COMPRESSION, COMPRESSION_LEVEL, PUSH_TIMEOUT, FETCH_TIMEOUT, BACKUP_WORKERS,
            BACKUP_CHECKPOINT, BACKUP_WAL_TIMEOUT, BACKUP_VERIFY_CHECKSUMS, DUMP_DATABASES, DUMP_FORMAT,
            DUMP_COMPRESSION, DUMP_TIMEOUT, RETENTION_BACKUP_DAYS, RETENTION_BACKUP_COUNT, RETENTION_DUMP_DAYS,
            RETENTION_DUMP_COUNT, SCHEDULE, SCHEDULE_JOBS, SCHEDULE_FULL, SCHEDULE_DRILL, SCHEDULE_VERIFY, DRILL_DIRECTORY, DRILL_AMCHECK,
            DRILL_CHECKS, LOG_FORMAT, LOG_LEVEL);

    /**
     * Environment variables starting with {@code WALDEN_} that are not configuration keys: the
     * repository passphrase, the launcher's, and the build's (native/build.sh), which a shell that built walden may still hold.
     */
    public static final List<String> RESERVED_ENVIRONMENT = List.of(
            "WALDEN_CONFIG", "WALDEN_HOME", "WALDEN_JAVA", "WALDEN_JAVA_OPTS", "WALDEN_PROGRESS", "WALDEN_NATIVE",
            "WALDEN_NATIVE_LINK", "WALDEN_NATIVE_MAJORS",
            // a secret: only ever in the environment, never a key of the config file
            ConfigKeys.PASSPHRASE_VARIABLE);

    /**
     * The passphrase of an encrypted repository's keys: only ever an environment variable, never
     * in the config file or argv. Passed on, like the applied {@code WALDEN_*} keys, to the walden
     * commands a command starts (a recovered server's restore_command).
     */
    public static final String PASSPHRASE_VARIABLE = "WALDEN_REPOSITORY_PASSPHRASE";

    /** The config file used when neither {@code --config} nor {@code WALDEN_CONFIG} names one. */
    public static final String DEFAULT_CONFIG_FILE = "/etc/walden/walden.conf";

    private ConfigKeys() {
    }

    public static Optional<ConfigKey> byName(String name) {
        return ALL.stream().filter(k -> k.name().equals(name)).findFirst();
    }

    public static Optional<ConfigKey> byEnvironmentVariable(String variable) {
        return ALL.stream().filter(k -> k.environmentVariable().equals(variable)).findFirst();
    }
}
