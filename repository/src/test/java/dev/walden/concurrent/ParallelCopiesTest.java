package dev.walden.concurrent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ParallelCopiesTest {
    @Test
    void resultsComeInTheOrderOfTheCopies() throws IOException {
        List<Callable<Integer>> copies = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            int n = i;
            copies.add(() -> n * n);
        }
        List<Integer> results = ParallelCopies.run("test-copy", 4, copies, "copying");
        for (int i = 0; i < 50; i++) {
            assertEquals(i * i, results.get(i));
        }
    }

    @Test
    void theFirstFailureIsThrownAsItWasAndNoCopyStartsAfterIt() {
        IOException corrupt = new IOException("object 'base/1/1259' is corrupt");
        AtomicInteger started = new AtomicInteger();
        List<Callable<Void>> copies = new ArrayList<>();
        copies.add(() -> {
            throw corrupt;
        });
        for (int i = 0; i < 1000; i++) {
            copies.add(() -> {
                started.incrementAndGet();
                Thread.sleep(5);
                return null;
            });
        }
        IOException thrown = assertThrows(IOException.class, () -> ParallelCopies.run("test-copy", 1, copies, "copying"));
        assertSame(corrupt, thrown);
        int whenReturned = started.get();
        assertTrue(whenReturned < 1000, "the copies after the failure were cancelled: " + whenReturned);
        assertEquals(whenReturned, started.get(), "nothing still running after the call returned");
    }

    @Test
    void anUncheckedFailureBecomesAnIoExceptionNamingIt() {
        List<Callable<Void>> copies = List.of(() -> {
            throw new IllegalStateException("a manifest path with '..'");
        });
        IOException thrown = assertThrows(IOException.class, () -> ParallelCopies.run("test-copy", 2, copies, "copying"));
        assertEquals("java.lang.IllegalStateException: a manifest path with '..'", thrown.getMessage());
    }
}
