package dev.walden.drill;

import dev.walden.config.ConfigException;
import dev.walden.config.ConfigKeys;
import dev.walden.config.ConfigSource;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;

/**
 * What a restore drill does beyond recovering: where it restores ({@code drill.directory}), how
 * much pg_amcheck it runs ({@code drill.amcheck}) and the operator's own checks ({@code drill.checks}).
 *
 * @param directory the scratch directory; each drill restores into a new directory inside it
 * @param checks the operator's SQL file, when there is one
 */
public record DrillSettings(Path directory, Amcheck amcheck, Optional<Path> checks) {

    /** How much of the restored copy pg_amcheck reads. */
    public enum Amcheck {
        OFF, SAMPLE, ALL;

        /** Tables per database that {@code sample} checks, the largest ones, with their indexes. */
        public static final int SAMPLE_TABLES = 10;
    }

    public static DrillSettings from(ConfigSource config) throws ConfigException {
        Optional<Path> directory = config.path(ConfigKeys.DRILL_DIRECTORY);
        Path dir;
        if (directory.isPresent()) {
            dir = directory.get().toAbsolutePath().normalize();
        } else {
            Path production = config.path(ConfigKeys.PGDATA).orElseThrow(() -> config.invalid(ConfigKeys.DRILL_DIRECTORY,
                    "empty, and pgdata is not set either: say where drills restore (drill.directory = DIR)"))
                    .toAbsolutePath().normalize();
            dir = (production.getParent() != null ? production.getParent() : production).resolve("walden-drill");
        }
        return new DrillSettings(dir, amcheck(config), config.path(ConfigKeys.DRILL_CHECKS));
    }

    /** Checks every drill key's value without needing any of them set. */
    public static void check(ConfigSource config) throws ConfigException {
        config.path(ConfigKeys.DRILL_DIRECTORY);
        config.path(ConfigKeys.DRILL_CHECKS);
        amcheck(config);
    }

    private static Amcheck amcheck(ConfigSource config) throws ConfigException {
        String value = config.required(ConfigKeys.DRILL_AMCHECK).strip().toUpperCase(Locale.ROOT);
        try {
            return Amcheck.valueOf(value);
        } catch (IllegalArgumentException e) {
            throw config.invalid(ConfigKeys.DRILL_AMCHECK, "'" + value.toLowerCase(Locale.ROOT)
                    + "' is not off, sample or all");
        }
    }
}
