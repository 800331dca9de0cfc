package dev.walden.drill;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.config.ConfigException;
import dev.walden.config.ConfigSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DrillSettingsTest {
    @TempDir
    Path dir;

    private DrillSettings settings(String lines) throws Exception {
        return DrillSettings.from(ConfigSource.load(Files.writeString(dir.resolve("walden.conf"), lines), true, Map.of()));
    }

    @Test
    void byDefaultADrillRestoresNextToProductionAndSamplesWithAmcheck() throws Exception {
        Files.createDirectories(dir.resolve("pg/data"));
        DrillSettings s = settings("pgdata = " + dir.resolve("pg/data") + "\n");
        assertEquals(dir.resolve("pg/walden-drill"), s.directory());
        assertEquals(DrillSettings.Amcheck.SAMPLE, s.amcheck());
        assertTrue(s.checks().isEmpty());
    }

    @Test
    void aDrillDirectoryInsideProductionIsRefusedEvenThroughALink() throws Exception {
        Path pgdata = Files.createDirectories(dir.resolve("pg/data"));
        ConfigException inside = assertThrows(ConfigException.class, () -> settings("pgdata = " + pgdata
                + "\ndrill.directory = " + pgdata.resolve("drills") + "\n"));
        assertTrue(inside.getMessage().startsWith("drill.directory ("), inside.getMessage());
        assertTrue(inside.getMessage().contains("production's data directory"), inside.getMessage());
        Files.createSymbolicLink(dir.resolve("link"), pgdata);
        assertThrows(ConfigException.class, () -> settings("pgdata = " + pgdata + "\ndrill.directory = "
                + dir.resolve("link/new/drills") + "\n"));
        assertEquals(dir.resolve("elsewhere"), settings("pgdata = " + pgdata + "\ndrill.directory = "
                + dir.resolve("elsewhere") + "\n").directory());
    }

    @Test
    void anUnknownAmcheckModeIsNamed() {
        ConfigException e = assertThrows(ConfigException.class, () -> settings("drill.directory = /tmp/d\n"
                + "drill.amcheck = most\n"));
        assertTrue(e.getMessage().contains("'most' is not off, sample or all"), e.getMessage());
    }
}
