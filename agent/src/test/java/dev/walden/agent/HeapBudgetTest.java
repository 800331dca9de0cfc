package dev.walden.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class HeapBudgetTest {
    private static final long MIB = 1024 * 1024;
    /** What bin/walden gives the agent: -Xmx192m with a 4 MiB survivor space, which maxMemory() leaves out. */
    private static final long LAUNCHER_HEAP = 188 * MIB;
    private static final long S3_WRITER = 24 * MIB;

    @Test
    void theDefaultSettingsFitTheLaunchersHeapOnEitherStorage() {
        assertEquals(Optional.empty(), new HeapBudget(2, 2, 0).warning(LAUNCHER_HEAP), "posix");
        assertEquals(Optional.empty(), new HeapBudget(2, 2, S3_WRITER).warning(LAUNCHER_HEAP), "s3");
    }

    @Test
    void moreWorkersOnS3AreWarnedAboutWithTheOptionThatFixesIt() {
        HeapBudget budget = new HeapBudget(8, 4, S3_WRITER);
        String warning = budget.warning(LAUNCHER_HEAP).orElseThrow();
        assertTrue(warning.contains("agent.workers = 8 and backup.workers = 4"), warning);
        assertTrue(warning.contains("(188 MiB)"), warning);
        long suggested = Long.parseLong(warning.replaceAll(".*-Xmx(\\d+)m.*", "$1"));
        assertTrue(suggested * MIB >= budget.neededBytes(), warning);
        assertEquals(Optional.empty(), budget.warning(suggested * MIB), "the suggestion is enough");
    }

    @Test
    void streamingFitsOnPosixAndIsWarnedAboutOnS3() {
        long posixStream = dev.walden.agent.stream.WalStreamer.heapBytes(dev.walden.wal.WalSegmentSize.DEFAULT, 0);
        assertEquals(Optional.empty(), new HeapBudget(2, 2, 0, posixStream).warning(LAUNCHER_HEAP), "posix");
        long s3Stream = dev.walden.agent.stream.WalStreamer.heapBytes(dev.walden.wal.WalSegmentSize.DEFAULT, S3_WRITER);
        String warning = new HeapBudget(2, 2, S3_WRITER, s3Stream).warning(LAUNCHER_HEAP).orElseThrow();
        assertTrue(warning.contains("and the WAL stream (74 MiB)"), warning);
    }
}
