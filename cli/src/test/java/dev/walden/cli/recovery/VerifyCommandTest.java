package dev.walden.cli.recovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.catalog.AuditLog;
import dev.walden.recovery.RepositoryVerifierTest;
import dev.walden.repo.Repository;
import dev.walden.storage.posix.PosixStorage;
import dev.walden.wal.ClusterIdentity;
import dev.walden.wal.WalSegmentSize;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class VerifyCommandTest {
    @TempDir
    Path dir;

    @Test
    void verifyIsAuditedWithItsResult() throws Exception {
        PosixStorage storage = PosixStorage.create(dir.resolve("repository"));
        Repository repository = Repository.create(storage, new ClusterIdentity(3L, 15, new WalSegmentSize(1 << 20)),
                Clock.systemUTC());
        RepositoryVerifierTest.segment(repository, storage, 1);
        Path config = Files.writeString(dir.resolve("walden.conf"), "repository.path = repository\n");
        StringWriter out = new StringWriter();
        CommandLine cli = new CommandLine(new VerifyCommand());
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(new StringWriter()));

        assertEquals(1, cli.execute("--config", config.toString()), out.toString());

        List<AuditLog.Entry> entries = new AuditLog(storage).read(Optional.empty());
        assertEquals(1, entries.size(), entries.toString());
        AuditLog.Entry entry = entries.get(0);
        assertEquals("verify", entry.action());
        assertEquals(storage.describe(), entry.target());
        assertEquals("failed", entry.result(), "problems make a failed verification");
        assertEquals("checked 1 object (1.0 MiB of original data): 1 problem(s), the first unrecoverable: no usable "
                + "base backup with its WAL: nothing can be recovered", entry.detail());
        assertTrue(out.toString().contains("\n" + entry.detail() + "\n"), "the line it printed: " + out);
    }
}
