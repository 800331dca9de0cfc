package dev.walden.recovery;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ProcessDeadlineTest {
    @Test
    void firesWhenTheWorkOutlastsTheTimeout() throws InterruptedException {
        CountDownLatch fired = new CountDownLatch(1);
        ProcessDeadline deadline = ProcessDeadline.start(Duration.ofMillis(100), fired::countDown);
        assertTrue(fired.await(10, TimeUnit.SECONDS), "a hung fetch is stopped");
        deadline.close();
    }

    @Test
    void staysQuietWhenClosedInTime() throws InterruptedException {
        CountDownLatch fired = new CountDownLatch(1);
        ProcessDeadline deadline = ProcessDeadline.start(Duration.ofMillis(300), fired::countDown);
        deadline.close();
        assertFalse(fired.await(600, TimeUnit.MILLISECONDS));
    }
}
