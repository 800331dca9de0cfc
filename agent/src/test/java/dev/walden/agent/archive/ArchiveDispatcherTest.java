package dev.walden.agent.archive;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.protocol.ErrorCode;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ArchiveDispatcherTest {
    private ArchiveDispatcher dispatcher;

    private ArchiveDispatcher start(Function<String, ArchiveResult> archiver, int workers, int capacity,
                                    Duration timeout) {
        dispatcher = new ArchiveDispatcher(AnyPath.INTAKE, AnyPath.byPath(archiver), workers, capacity, timeout,
                Clock.systemUTC(), new AgentStats(Clock.systemUTC().instant()));
        return dispatcher;
    }

    @AfterEach
    void stop() {
        if (dispatcher != null) {
            dispatcher.shutdown(Duration.ofSeconds(5));
        }
    }

    private static ArchiveResult ok() {
        return new ArchiveResult.Failed(ErrorCode.INTERNAL, "stand-in result");
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void answersEveryRequestExactlyOnce() throws Exception {
        start(path -> ok(), 2, 64, Duration.ofSeconds(10));
        AtomicInteger answers = new AtomicInteger();
        CountDownLatch all = new CountDownLatch(50);
        for (int i = 0; i < 50; i++) {
            assertTrue(dispatcher.submit("/p/" + i, r -> {
                answers.incrementAndGet();
                all.countDown();
            }));
        }
        assertTrue(all.await(10, TimeUnit.SECONDS));
        Thread.sleep(100);
        assertEquals(50, answers.get());
    }

    @Test
    void aRequestForAFileBeingArchivedJoinsThatJob() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger runs = new AtomicInteger();
        start(path -> {
            runs.incrementAndGet();
            started.countDown();
            await(release);
            return ok();
        }, 2, 64, Duration.ofSeconds(10));
        CompletableFuture<ArchiveResult> first = new CompletableFuture<>();
        CompletableFuture<ArchiveResult> second = new CompletableFuture<>();
        dispatcher.submit("/pg_wal/000000010000000000000001", first::complete);
        assertTrue(started.await(10, TimeUnit.SECONDS));
        dispatcher.submit("/pg_wal/000000010000000000000001", second::complete);
        Thread.sleep(200); // let the dispatcher see the duplicate while the first is running
        release.countDown();
        assertEquals(first.get(10, TimeUnit.SECONDS), second.get(10, TimeUnit.SECONDS));
        assertEquals(1, runs.get(), "archived once for both requests");
    }

    @Test
    void theSameFileFromAnotherDirectoryWaitsForTheJobAndIsArchivedAfterIt() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        java.util.List<String> runs = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        AtomicInteger running = new AtomicInteger();
        AtomicInteger overlapped = new AtomicInteger();
        start(path -> {
            if (running.incrementAndGet() > 1) {
                overlapped.incrementAndGet();
            }
            runs.add(path);
            started.countDown();
            await(release);
            running.decrementAndGet();
            return ok();
        }, 2, 64, Duration.ofSeconds(10));
        CompletableFuture<ArchiveResult> primary = new CompletableFuture<>();
        CompletableFuture<ArchiveResult> standby = new CompletableFuture<>();
        dispatcher.submit("/primary/pg_wal/000000010000000000000001", primary::complete);
        assertTrue(started.await(10, TimeUnit.SECONDS));
        dispatcher.submit("/standby/pg_wal/000000010000000000000001", standby::complete);
        Thread.sleep(200); // a free worker: the standby's copy would start now if names didn't serialize
        assertEquals(java.util.List.of("/primary/pg_wal/000000010000000000000001"), runs);
        assertFalse(standby.isDone());
        release.countDown();
        primary.get(10, TimeUnit.SECONDS);
        standby.get(10, TimeUnit.SECONDS);
        assertEquals(java.util.List.of("/primary/pg_wal/000000010000000000000001",
                "/standby/pg_wal/000000010000000000000001"), runs, "each copy checked by a job of its own, in turn");
        assertEquals(0, overlapped.get(), "never two jobs for one name at once");
    }

    @Test
    void aStalledArchiveIsAnsweredWithATimeoutWhileTheWorkCarriesOn() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch finished = new CountDownLatch(1);
        start(path -> {
            await(release);
            finished.countDown();
            return ok();
        }, 1, 64, Duration.ofMillis(300));
        CompletableFuture<ArchiveResult> reply = new CompletableFuture<>();
        long start = System.nanoTime();
        dispatcher.submit("/pg_wal/000000010000000000000001", reply::complete);
        ArchiveResult.Failed f = assertInstanceOf(ArchiveResult.Failed.class, reply.get(10, TimeUnit.SECONDS));
        assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(300));
        assertEquals(ErrorCode.STORAGE_TIMEOUT, f.code());
        assertTrue(f.message().startsWith("'/pg_wal/000000010000000000000001' was not stored within 300ms"),
                f.message());
        release.countDown();
        assertTrue(finished.await(10, TimeUnit.SECONDS), "the archive still completes");
    }

    @Test
    void anErrorInTheArchiverIsAnsweredAndDoesNotStrandTheFile() throws Exception {
        AtomicInteger runs = new AtomicInteger();
        start(path -> {
            if (runs.incrementAndGet() == 1) {
                throw new UnsatisfiedLinkError("no zstd-jni in java.library.path");
            }
            return ok();
        }, 1, 64, Duration.ofSeconds(10));
        CompletableFuture<ArchiveResult> first = new CompletableFuture<>();
        dispatcher.submit("/pg_wal/000000010000000000000001", first::complete);
        ArchiveResult.Failed failed = assertInstanceOf(ArchiveResult.Failed.class, first.get(10, TimeUnit.SECONDS));
        assertEquals(ErrorCode.INTERNAL, failed.code());
        assertTrue(failed.message().contains("UnsatisfiedLinkError: no zstd-jni"), failed.message());
        CompletableFuture<ArchiveResult> retry = new CompletableFuture<>();
        dispatcher.submit("/pg_wal/000000010000000000000001", retry::complete);
        assertEquals("stand-in result", ((ArchiveResult.Failed) retry.get(10, TimeUnit.SECONDS)).message(),
                "the retry runs the archiver again instead of joining a dead job");
        assertEquals(2, runs.get());
    }

    @Test
    void aFullQueueRefusesAtOnce() {
        CountDownLatch release = new CountDownLatch(1);
        start(path -> {
            await(release);
            return ok();
        }, 1, 16, Duration.ofSeconds(10));
        int accepted = 0;
        for (int i = 0; i < 100; i++) {
            if (dispatcher.submit("/p/" + i, r -> { })) {
                accepted++;
            }
        }
        // one running, up to 16 queued (plus one the dispatcher holds while waiting for a worker)
        assertTrue(accepted >= 16 && accepted <= 18, "accepted " + accepted);
        release.countDown();
    }

    @Test
    void shutdownAnswersQueuedRequestsAndRefusesNewOnes() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        start(path -> {
            await(release);
            return ok();
        }, 1, 64, Duration.ofSeconds(30));
        CompletableFuture<ArchiveResult> running = new CompletableFuture<>();
        CompletableFuture<ArchiveResult> queued = new CompletableFuture<>();
        dispatcher.submit("/p/1", running::complete);
        Thread.sleep(100);
        dispatcher.submit("/p/2", queued::complete);
        Thread.sleep(100);
        CompletableFuture<Void> shutdown = CompletableFuture.runAsync(() -> dispatcher.shutdown(Duration.ofSeconds(5)));
        Thread.sleep(100);
        assertFalse(dispatcher.submit("/p/3", r -> { }));
        release.countDown();
        shutdown.get(10, TimeUnit.SECONDS);
        assertEquals("stand-in result", ((ArchiveResult.Failed) running.get(1, TimeUnit.SECONDS)).message(),
                "the running file finished");
        ArchiveResult.Failed q = (ArchiveResult.Failed) queued.get(1, TimeUnit.SECONDS);
        assertEquals(ErrorCode.SHUTTING_DOWN, q.code(), "a queued file is not started once shutdown began");
    }

    @Test
    void refusalsAreAnsweredAtOnceAndCountedByReason() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        AgentStats stats = new AgentStats(Clock.systemUTC().instant());
        dispatcher = new ArchiveDispatcher(AnyPath.INTAKE, AnyPath.byPath(path -> {
            await(release);
            return ok();
        }), 1, 16, Duration.ofSeconds(30), Clock.systemUTC(), stats);
        int refused = 0;
        for (int i = 0; i < 100; i++) {
            CompletableFuture<ArchiveResult> answer = new CompletableFuture<>();
            if (!dispatcher.submit("/p/" + i, answer::complete)) {
                refused++;
                ArchiveResult.Failed f = (ArchiveResult.Failed) answer.getNow(null);
                assertEquals(ErrorCode.OVERLOADED, f.code(), "answered before submit returned");
                assertTrue(f.message().startsWith("the agent's queue is full"), f.message());
            }
        }
        assertTrue(refused >= 80, "refused " + refused);
        assertEquals(refused, stats.failed(ErrorCode.OVERLOADED));
        assertEquals(refused, stats.failed());
        assertEquals(ErrorCode.OVERLOADED, stats.lastFailureCode().orElseThrow());
        release.countDown();
    }

    @Test
    void aFailureAfterTheTimeoutIsTheLastFailureButNotASecondAnswer() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        AgentStats stats = new AgentStats(Clock.systemUTC().instant());
        dispatcher = new ArchiveDispatcher(AnyPath.INTAKE, AnyPath.byPath(path -> {
            await(release);
            return new ArchiveResult.Failed(ErrorCode.STORAGE_FAILED, "No space left on device");
        }), 1, 16, Duration.ofMillis(300), Clock.systemUTC(), stats);
        CompletableFuture<ArchiveResult> answer = new CompletableFuture<>();
        dispatcher.submit("/p/1", answer::complete);
        assertEquals(ErrorCode.STORAGE_TIMEOUT, ((ArchiveResult.Failed) answer.get(10, TimeUnit.SECONDS)).code());
        assertEquals(1, stats.failed(ErrorCode.STORAGE_TIMEOUT));
        release.countDown();
        for (int i = 0; i < 100 && stats.lastFailureCode().orElseThrow() != ErrorCode.STORAGE_FAILED; i++) {
            Thread.sleep(50);
        }
        assertEquals(ErrorCode.STORAGE_FAILED, stats.lastFailureCode().orElseThrow());
        assertEquals("No space left on device", stats.lastFailure().orElseThrow().getValue());
        assertEquals(0, stats.failed(ErrorCode.STORAGE_FAILED), "nobody was answered storage_failed");
        assertEquals(1, stats.failed());
    }
}
