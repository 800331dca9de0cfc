package dev.walden.agent.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.config.ConfigException;
import dev.walden.config.ConfigSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.DayOfWeek;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JobSetupTest {
    @TempDir
    Path dir;

    private Set<DayOfWeek> fullDays(String value) throws Exception {
        Path file = Files.writeString(dir.resolve("walden.conf"), "pgdata = " + dir + "\n"
                + (value == null ? "" : "schedule.full = " + value + "\n"));
        JobSetup.check(ConfigSource.load(file, true, Map.of()));
        return JobSetup.from(ConfigSource.load(file, true, Map.of()), Map.of()).fullDays();
    }

    @Test
    void fullBackupsAreWeeklyByDefaultOnTheDaysNamedOrEveryDay() throws Exception {
        assertEquals(EnumSet.of(DayOfWeek.SUNDAY), fullDays(null));
        assertEquals(EnumSet.of(DayOfWeek.SUNDAY, DayOfWeek.WEDNESDAY), fullDays("sun, Wed"));
        assertEquals(EnumSet.allOf(DayOfWeek.class), fullDays("*"));
    }

    @Test
    void anythingElseIsRefusedNamingTheDays() {
        ConfigException e = assertThrows(ConfigException.class, () -> fullDays("sunday"));
        assertTrue(e.getMessage().contains("'sunday' is not a day (mon, tue, wed, thu, fri, sat, sun)"), e.getMessage());
    }
}
