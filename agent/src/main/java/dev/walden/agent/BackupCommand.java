package dev.walden.agent;

import dev.walden.backup.BaseBackup;
import dev.walden.backup.BackupSettings;
import dev.walden.catalog.BackupManifest;
import dev.walden.config.ConfigException;
import dev.walden.config.ConfigKeys;
import dev.walden.config.ConfigSource;
import dev.walden.protocol.AgentClient;
import dev.walden.protocol.AgentClientException;
import dev.walden.protocol.ErrorReply;
import dev.walden.protocol.Frame;
import dev.walden.protocol.FrameType;
import dev.walden.protocol.ProtocolException;
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
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
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

    @Option(names = "--config", paramLabel = "FILE",
            description = "config file (default: $WALDEN_CONFIG, else /etc/walden/walden.conf)")
    String config;

    @Override
    public Integer call() throws ConfigException, IOException {
        ConfigSource source = ConfigSource.locate(config, System.getenv());
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Optional<Path> socket = source.path(ConfigKeys.AGENT_SOCKET);
        if (socket.isPresent() && answers(socket.get())) {
            out.println("walden backup: the agent on " + socket.get() + " takes the backup");
            out.flush();
            return throughAgent(socket.get(), out, err);
        }
        return directly(source, out, err);
    }

    private static boolean answers(Path socket) {
        try {
            return new AgentClient(socket, Duration.ofSeconds(5)).exchange(Frame.of(FrameType.PING)).type()
                    == FrameType.OK;
        } catch (AgentClientException e) {
            return false;
        }
    }

    private static int throughAgent(Path socket, PrintWriter out, PrintWriter err) {
        try {
            Frame reply = new AgentClient(socket, SILENCE).exchange(Frame.of(FrameType.BACKUP), line -> {
                out.println(line);
                out.flush();
            });
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

    private static int directly(ConfigSource source, PrintWriter out, PrintWriter err)
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
                        settings.backup(), new PgWalSource(archiver, agentConfig.pgWal()), Clock.systemUTC(), line -> {
                            out.println(line);
                            out.flush();
                        });
                BackupManifest manifest = backup.run(owner);
                if (!manifest.isComplete()) {
                    err.println("walden backup: backup " + manifest.label() + " is incomplete: " + manifest.statusDetail());
                    return 1;
                }
                return 0;
            }
        }
    }
}
