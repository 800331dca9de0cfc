package dev.walden.cli.backup;

import dev.walden.agent.AgentConfig;
import dev.walden.agent.archive.PgWalSource;
import dev.walden.agent.archive.SegmentArchiver;
import dev.walden.agent.archive.WalDirectory;
import dev.walden.agent.jobs.BackupProgressView;
import dev.walden.backup.BackupSettings;
import dev.walden.backup.BaseBackup;
import dev.walden.catalog.AuditLog;
import dev.walden.catalog.BackupCatalog;
import dev.walden.catalog.BackupManifest;
import dev.walden.cli.options.ConfigOption;
import dev.walden.config.ConfigException;
import dev.walden.config.ConfigKeys;
import dev.walden.config.ConfigSource;
import dev.walden.protocol.AgentClient;
import dev.walden.protocol.AgentClientException;
import dev.walden.protocol.BackupRequest;
import dev.walden.protocol.ErrorReply;
import dev.walden.protocol.Frame;
import dev.walden.protocol.FrameType;
import dev.walden.protocol.ProtocolException;
import dev.walden.repo.Json;
import dev.walden.repo.Repository;
import dev.walden.repo.StorageFactory;
import dev.walden.storage.Storage;
import dev.walden.storage.StorageLock;
import dev.walden.storage.StorageLockedException;
import dev.walden.wal.ClusterIdentity;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code walden backup}: a physical base backup now. Through the agent when one answers on
 * agent.socket (it already holds the repository), otherwise directly, archiving the WAL the
 * backup needs itself.
 */
@Command(name = "backup", mixinStandardHelpOptions = true,
        description = {"Take a physical base backup now: pg_backup_start, walden's own parallel copy of the data "
                + "directory, pg_backup_stop, and the backup's WAL checked into the repository.",
                "Runs inside the agent when one is running, otherwise directly (and then archives the WAL the "
                        + "backup needs itself). Two backups of one repository never run at once.",
                "Connects to the database with DATABASE_URL, DB_HOST/DB_PORT/DB_USER/DB_NAME, PG* variables and "
                        + ".pgpass (a .env file next to the config file counts as environment)."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:the backup is complete", "1:no backup, or an incomplete one; the message says why"})
public final class BackupCommand implements Callable<Integer> {
    /** The longest a running backup may stay silent: the agent reports at least every 30 s. */
    private static final Duration SILENCE = Duration.ofMinutes(10);

    @Spec
    CommandSpec spec;

    @Mixin
    ConfigOption config;

    @Option(names = "--type", paramLabel = "full|incr", defaultValue = "full",
            description = "full (the default): copy every file; incr: copy only what changed since the newest usable "
                    + "backup (its parent): unchanged files are not read, changed relation files store only their "
                    + "changed 8 KiB blocks. Without a usable parent of the same PostgreSQL major and compression, "
                    + "an incr is taken full")
    String type;

    @Option(names = "--json", description = "print the finished backup (what walden list --json shows of it) as JSON; "
            + "progress goes to stderr")
    boolean json;

    @Override
    public Integer call() throws ConfigException, IOException {
        BaseBackup.Type backupType;
        try {
            backupType = BaseBackup.Type.parse(type);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--type: " + e.getMessage());
        }
        ConfigSource source = config.locate();
        PrintWriter data = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        // with --json, stdout carries the one JSON document; everything for people goes to stderr
        PrintWriter out = json ? err : data;
        Optional<Path> socket = source.path(ConfigKeys.AGENT_SOCKET);
        int status;
        if (socket.isPresent() && answers(socket.get())) {
            out.println("walden backup: the agent on " + socket.get() + " takes the backup");
            out.flush();
            status = throughAgent(socket.get(), backupType, out, err);
        } else {
            status = directly(source, backupType, out, err);
        }
        if (json && status == 0) {
            printNewest(source, data);
        }
        return status;
    }

    /** The backup just taken (the newest), without its file list, with the field names of {@code walden list --json}. */
    private static void printNewest(ConfigSource source, PrintWriter data) throws ConfigException, IOException {
        try (Storage storage = StorageFactory.open(source)) {
            printNewest(storage, data);
        } catch (IOException | RuntimeException e) {
            throw new IOException("the backup is complete, but it could not be read back for --json: "
                    + e.getMessage(), e);
        }
    }

    private static void printNewest(Storage storage, PrintWriter data) throws IOException {
        // the newest complete one: a scheduled backup may have begun since (recorded incomplete until it ends)
        BackupManifest m = new BackupCatalog(storage).list().stream()
                .flatMap(e -> e.manifest().stream())
                .filter(BackupManifest::isComplete)
                .reduce((older, newer) -> newer)
                .orElseThrow(() -> new IOException("no complete backup in the catalog"));
        Map<String, Object> backup = new LinkedHashMap<>();
        backup.put("label", m.label());
        backup.put("status", m.status());
        backup.put("type", m.backupType());
        backup.put("parent", m.parent());
        backup.put("start_time", m.startTime());
        backup.put("stop_time", m.stopTime());
        backup.put("start_lsn", m.startLsn());
        backup.put("stop_lsn", m.stopLsn());
        backup.put("timeline", m.stopTimeline());
        backup.put("start_wal", m.startWal());
        backup.put("stop_wal", m.stopWal());
        backup.put("files", m.files().size());
        backup.put("original_bytes", m.originalBytes());
        backup.put("stored_bytes", m.storedBytes());
        backup.put("duration_seconds", Duration.between(Instant.parse(m.startTime()),
                Instant.parse(m.stopTime())).toSeconds());
        backup.put("checksum_failures", m.checksumFailures().size());
        Json.print(data, backup);
    }

    private static boolean answers(Path socket) {
        try {
            return new AgentClient(socket, Duration.ofSeconds(5)).exchange(Frame.of(FrameType.PING)).type()
                    == FrameType.OK;
        } catch (AgentClientException e) {
            return false;
        }
    }

    private static int throughAgent(Path socket, BaseBackup.Type type, PrintWriter out, PrintWriter err) {
        try {
            Frame request = new BackupRequest(type.manifestName(), "walden backup by "
                    + System.getProperty("user.name") + " (pid " + ProcessHandle.current().pid() + ")").toFrame();
            Frame reply = new AgentClient(socket, SILENCE).exchange(request, new BackupProgressView(out));
            if (reply.type() == FrameType.OK) {
                out.println(reply.bodyText());
                return 0;
            }
            err.println("walden backup: " + ErrorReply.fromFrame(reply).message());
            return 1;
        } catch (AgentClientException | ProtocolException e) {
            err.println("walden backup: " + e.getMessage());
            return 1;
        }
    }

    private static int directly(ConfigSource source, BaseBackup.Type type, PrintWriter out, PrintWriter err)
            throws ConfigException, IOException {
        AgentConfig agentConfig = AgentConfig.from(source);
        BackupSettings settings = BackupSettings.from(source, System.getenv());
        try (Storage storage = StorageFactory.open(source)) {
            Repository repository = Repository.open(storage);
            repository.checkBelongsTo(ClusterIdentity.read(agentConfig.pgdata(), agentConfig.pgWal()));
            String owner = "walden backup (pid " + ProcessHandle.current().pid() + ")";
            StorageLock writer;
            try {
                writer = storage.lock("writer", owner);
            } catch (StorageLockedException e) {
                throw new IOException(e.holder() + " holds the repository but did not answer on agent.socket; "
                        + "is it stuck? (walden status)", e);
            }
            try (writer) {
                SegmentArchiver archiver = new SegmentArchiver(new WalDirectory(agentConfig.pgdata(), agentConfig.pgWal()),
                        repository, agentConfig.compression(), agentConfig.compressionLevel(), Clock.systemUTC());
                BaseBackup backup = new BaseBackup(repository, settings.connection(), settings.pgdata(),
                        settings.backup(), new PgWalSource(archiver, agentConfig.pgWal()), Clock.systemUTC(),
                        new BackupProgressView(out));
                AuditLog audit = new AuditLog(storage);
                Instant started = Instant.now();
                BackupManifest manifest;
                try {
                    manifest = backup.run(owner, type);
                } catch (IOException | RuntimeException e) {
                    audit.tryAppend(AuditLog.entry("backup", "new base backup", false, e.getMessage(), started,
                            Clock.systemUTC(), "command"), w -> err.println("walden backup: " + w));
                    throw e;
                }
                audit.tryAppend(AuditLog.entry("backup", manifest.label(), manifest.isComplete(), manifest.isComplete()
                        ? manifest.files().size() + " files, WAL " + manifest.startWal() + " .. " + manifest.stopWal()
                        : "incomplete: " + manifest.statusDetail(), started, Clock.systemUTC(), "command"),
                        w -> err.println("walden backup: " + w));
                if (!manifest.isComplete()) {
                    err.println("walden backup: backup " + manifest.label() + " is incomplete: " + manifest.statusDetail());
                    return 1;
                }
                return 0;
            }
        }
    }
}
