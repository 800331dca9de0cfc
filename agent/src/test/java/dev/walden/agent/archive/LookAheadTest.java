package dev.walden.agent.archive;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.walden.repo.Compression;
import dev.walden.repo.StoredWal;
import dev.walden.wal.WalFileName;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LookAheadTest {
    @TempDir
    Path status;
    final AtomicLong now = new AtomicLong();

    private void ready(String... names) throws Exception {
        for (String n : names) {
            Files.createFile(status.resolve(n + ".ready"));
        }
    }

    private List<String> drain(LookAhead ahead) {
        List<String> order = new ArrayList<>();
        Optional<String> next;
        while ((next = ahead.next()).isPresent()) {
            order.add(next.get().substring("pg_wal/".length()));
        }
        return order;
    }

    @Test
    void historyFilesFirstThenOldestFirstAndNothingElse() throws Exception {
        ready("000000020000000000000004", "000000010000000000000003", "00000002.history", "000000020000000000000003.partial");
        LookAhead ahead = new LookAhead(status, new ArchivedIndex(), now::get);
        ahead.ready(List.of("000000020000000000000004", "000000010000000000000003", "00000002.history",
                "000000020000000000000003.partial", "not-wal", "xlogtemp.123"));
        assertEquals(List.of("00000002.history", "000000010000000000000003", "000000020000000000000003.partial",
                "000000020000000000000004"), drain(ahead));
    }

    @Test
    void aFilePostgresArchivedMeanwhileIsSkipped() throws Exception {
        ready("000000010000000000000003", "000000010000000000000004");
        LookAhead ahead = new LookAhead(status, new ArchivedIndex(), now::get);
        ahead.ready(List.of("000000010000000000000003", "000000010000000000000004"));
        Files.move(status.resolve("000000010000000000000003.ready"), status.resolve("000000010000000000000003.done"));
        assertEquals(List.of("000000010000000000000004"), drain(ahead));
    }

    @Test
    void aFailedFileWaitsAMinuteBeforeItIsTriedAgain() throws Exception {
        ready("000000010000000000000003");
        LookAhead ahead = new LookAhead(status, new ArchivedIndex(), now::get);
        ahead.ready(List.of("000000010000000000000003"));
        assertEquals(List.of("000000010000000000000003"), drain(ahead));
        ahead.failed("pg_wal/000000010000000000000003", null);
        now.addAndGet(LookAhead.RETRY_AFTER_NANOS - 1);
        ahead.ready(List.of("000000010000000000000003"));
        assertEquals(List.of(), drain(ahead));
        now.addAndGet(1);
        ahead.ready(List.of("000000010000000000000003"));
        assertEquals(List.of("000000010000000000000003"), drain(ahead));
    }

    @Test
    void theIndexKeepsOnlyWhatIsStillReady() throws Exception {
        ArchivedIndex index = new ArchivedIndex();
        dev.walden.repo.StoredWal stored = new dev.walden.repo.StoredWal(
                dev.walden.wal.WalFileName.parse("000000010000000000000003"), "wal/x", "00", dev.walden.repo.Compression.NONE, 1);
        index.put(stored, Optional.empty());
        LookAhead ahead = new LookAhead(status, index, now::get);
        ahead.ready(List.of("000000010000000000000003"));
        assertEquals(1, index.size());
        ahead.ready(List.of("000000010000000000000004")); // PostgreSQL marked ...03 done
        assertEquals(0, index.size());
    }
}
