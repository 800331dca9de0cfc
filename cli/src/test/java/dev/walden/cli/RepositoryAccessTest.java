package dev.walden.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.walden.repo.Repository;
import dev.walden.storage.posix.PosixStorage;
import dev.walden.wal.ClusterIdentity;
import dev.walden.wal.WalSegmentSize;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Commands on a posix repository that other users may write in, through the command line as
 * operators and PostgreSQL run them: refused, naming the path and the fix, with the exit codes
 * each command documents.
 */
class RepositoryAccessTest {
    private static final String SEGMENT = "000000010000000000000001";

    @TempDir
    Path dir;
    Path repository;
    Path config;

    private record Run(int exit, String out, String err) {
    }

    private Run walden(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = Walden.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        return new Run(cli.execute(args), out.toString(), err.toString());
    }

    @BeforeEach
    void setUp() throws Exception {
        repository = dir.resolve("repository");
        Repository.create(PosixStorage.create(repository), new ClusterIdentity(42L, 15, WalSegmentSize.DEFAULT),
                Clock.systemUTC());
        config = Files.writeString(dir.resolve("walden.conf"), "repository.path = " + repository + "\n");
    }

    @Test
    void listRefusesARepositoryOthersMayWriteIn() throws Exception {
        assertEquals(0, walden("list", "--config", config.toString()).exit());
        Files.setPosixFilePermissions(repository, PosixFilePermissions.fromString("rwxrwxrwx"));
        Run run = walden("list", "--config", config.toString());
        assertEquals(1, run.exit(), run.toString());
        assertEquals("walden list: repository directory '" + repository + "' is writable by others (mode 0777); run: "
                + "chmod 700 '" + repository + "'\n", run.err());
        assertEquals("", run.out());
    }

    @Test
    void listRefusesARepositoryJsonOthersMayHaveRewritten() throws Exception {
        Path info = repository.resolve("repository.json");
        Files.setPosixFilePermissions(info, PosixFilePermissions.fromString("rw-rw-rw-"));
        Run run = walden("list", "--config", config.toString());
        assertEquals(1, run.exit(), run.toString());
        assertEquals("walden list: '" + info + "' is writable by others (mode 0666); run: chmod 600 '" + info + "'\n",
                run.err());
    }

    @Test
    void fetchRefusesWithAnExitThatStopsRecoveryNotOneThatEndsIt() throws Exception {
        Path destination = dir.resolve("RECOVERYXLOG");
        assertEquals(100, walden("fetch", "--config", config.toString(), SEGMENT, destination.toString()).exit(),
                "not in the archive (bin/walden turns 100 into 1)");
        Files.setPosixFilePermissions(repository, PosixFilePermissions.fromString("rwxrwx---"));
        Run run = walden("fetch", "--config", config.toString(), SEGMENT, destination.toString());
        assertEquals(201, run.exit(), "above 125: PostgreSQL must stop, not end recovery here; " + run);
        assertEquals("walden fetch: cannot open the repository: repository directory '" + repository + "' is writable "
                + "by others (mode 0770); run: chmod 700 '" + repository + "'\n", run.err());
        assertFalse(Files.exists(destination));
    }

    @Test
    void aConfigFileWithAPasswordOthersMayReadIsRefused() throws Exception {
        Files.writeString(config, "repository.path = " + repository + "\nrepository.s3.endpoint = "
                + "https://walden:s3cr3t@minio.internal:9000\n");
        Files.setPosixFilePermissions(config, PosixFilePermissions.fromString("rw-r--r--"));
        Run run = walden("fetch", "--config", config.toString(), SEGMENT, dir.resolve("RECOVERYXLOG").toString());
        assertEquals(200, run.exit(), run.toString());
        assertEquals("walden fetch: '" + config + "' holds a password and is readable by others (mode 0644); run: "
                + "chmod 600 '" + config + "'\n", run.err());
    }
}
