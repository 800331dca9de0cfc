package dev.walden.agent.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.cronutils.model.Cron;
import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.parser.CronParser;
import dev.walden.repo.Json;
import dev.walden.storage.MemoryStorage;
import dev.walden.storage.ObjectWriter;
import java.io.InputStream;
import java.time.Clock;
import java.time.DayOfWeek;
import java.time.Duration;
import java.time.LocalTime;
import java.time.ZonedDateTime;
import java.time.temporal.TemporalAdjusters;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The agent's schedules (daily jobs, drill, verify) under a test clock: due runs fire, missed ones once. */
class SchedulerTest {
    private static final Cron SATURDAY_0430 = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX))
            .parse("30 4 * * 6");
    private static final String STATE = "state/schedule-drill.json";

    private final MemoryStorage storage = new MemoryStorage();
    private final AtomicInteger runs = new AtomicInteger();
    private final CountDownLatch ran = new CountDownLatch(1);

    private CompletableFuture<?> run() {
        runs.incrementAndGet();
        ran.countDown();
        return CompletableFuture.completedFuture(null);
    }

    /** The system clock moved so that now is {@code before} ahead of the next Saturday 04:30. */
    private static Clock clockAhead(Duration before) {
        ZonedDateTime now = ZonedDateTime.now();
        ZonedDateTime due = now.with(TemporalAdjusters.next(DayOfWeek.SATURDAY)).with(LocalTime.of(4, 30));
        return Clock.offset(Clock.systemDefaultZone(), Duration.between(now, due.minus(before)));
    }

    @Test
    void aRunFiresWhenItIsDueAndIsRecorded() throws Exception {
        Clock clock = clockAhead(Duration.ofMillis(700));
        java.time.Instant due = clock.instant().plusMillis(700);
        try (Scheduler scheduler = new Scheduler("scheduled drill", STATE, SATURDAY_0430, clock, this::run, storage)) {
            scheduler.start();
            assertEquals(0, runs.get(), "first start: nothing was missed");
            assertEquals(DayOfWeek.SATURDAY, scheduler.next().orElseThrow().getDayOfWeek());
            assertTrue(ran.await(30, TimeUnit.SECONDS), "fired at 04:30 by the test clock");
            assertEquals(1, runs.get());
            try (InputStream in = storage.read(STATE)) {
                java.time.Instant lastRun = java.time.Instant.parse(Json.MAPPER.readValue(in, Map.class)
                        .get("last_run").toString());
                assertTrue(!lastRun.isBefore(due.minusMillis(100)), "the run at " + due + " is recorded: " + lastRun);
            }
        }
    }

    @Test
    void aRunMissedWhileTheAgentWasDownFiresOnceAtStart() throws Exception {
        Clock clock = clockAhead(Duration.ofDays(-1)); // Sunday 04:30: Saturday's run is past
        try (ObjectWriter w = storage.write(STATE)) {
            Json.MAPPER.writeValue(w.stream(), Map.of("last_run", clock.instant().minus(Duration.ofDays(8)).toString()));
            w.commit();
        }
        try (Scheduler scheduler = new Scheduler("scheduled drill", STATE, SATURDAY_0430, clock, this::run, storage)) {
            scheduler.start();
            assertEquals(1, runs.get(), "missed on Saturday: run now, once");
            try (Scheduler again = new Scheduler("scheduled drill", STATE, SATURDAY_0430, clock, this::run, storage)) {
                again.start();
                assertEquals(1, runs.get(), "recorded: a second start does not run it again");
            }
        }
    }
}
