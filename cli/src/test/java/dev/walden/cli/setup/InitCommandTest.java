package dev.walden.cli.setup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.agent.FakePgdata;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class InitCommandTest {
    @TempDir
    Path dir;

    private record Run(int exit, String out, String err) {
    }

    private Run init(Path repository) throws Exception {
        FakePgdata pgdata = new FakePgdata(dir);
        Path config = Files.writeString(dir.resolve("walden.conf"), "pgdata = " + pgdata.pgdata + "\nrepository.path = "
                + repository + "\n");
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new InitCommand());
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println(e.getMessage());
            return 1;
        });
        return new Run(cli.execute("--config", config.toString()), out.toString(), err.toString());
    }

    @Test
    void anExistingDirectoryOpenToOthersIsMadePrivateAndTheOutputSaysSo() throws Exception {
        Path repository = Files.createDirectory(dir.resolve("repository"));
        Files.setPosixFilePermissions(repository, PosixFilePermissions.fromString("rwxrwxrwx"));
        Run run = init(repository);
        assertEquals(0, run.exit(), run.toString());
        assertTrue(run.out().startsWith("repository directory '" + repository + "' was open to other users (mode 0777); "
                + "it is now 0700\nrepository posix:" + repository + " belongs to "), run.out());
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(repository)));
    }

    @Test
    void aDirectoryOfOtherFilesKeepsItsModeAndIsRefused() throws Exception {
        Path repository = Files.createDirectory(dir.resolve("shared"));
        Files.writeString(repository.resolve("notes.txt"), "not walden's");
        Files.setPosixFilePermissions(repository, PosixFilePermissions.fromString("rwxrwxrwx"));
        Run run = init(repository);
        assertEquals(1, run.exit(), run.toString());
        assertTrue(run.err().startsWith("repository directory '" + repository + "' is writable by others (mode 0777)"),
                run.toString());
        assertEquals("rwxrwxrwx", PosixFilePermissions.toString(Files.getPosixFilePermissions(repository)),
                "someone's directory is left as it was");
    }

    @Test
    void aDirectoryOfAnotherUserIsRefused() throws Exception {
        Run run = init(Path.of("/etc"));
        assertEquals(1, run.exit(), run.toString());
        assertTrue(run.err().startsWith("repository directory '/etc' is owned by 'root', not by '"), run.err());
    }
}
