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
        Optional<Path> production = config.path(ConfigKeys.PGDATA);
        if (production.isPresent()) {
            refuseInside(config, dir, production.get());
        }
        return new DrillSettings(dir, amcheck(config), config.path(ConfigKeys.DRILL_CHECKS));
    }

    /** Whether {@code dir} is {@code production} or inside it, symbolic links resolved where they exist. */
    private static boolean inside(Path dir, Path production) {
        try {
            Path prod = java.nio.file.Files.exists(production) ? production.toRealPath()
                    : production.toAbsolutePath().normalize();
            Path existing = dir.toAbsolutePath().normalize();
            Path rest = existing.getRoot().relativize(existing.getRoot());
            while (!java.nio.file.Files.exists(existing) && existing.getParent() != null) {
                rest = existing.getFileName().resolve(rest);
                existing = existing.getParent();
            }
            return existing.toRealPath().resolve(rest).normalize().startsWith(prod);
        } catch (java.io.IOException e) {
            return false; // PointInTimeRecovery checks the copy's own directory again, with the files there
        }
    }

    /** Checks every drill key's value without needing any of them set. */
    public static void check(ConfigSource config) throws ConfigException {
        Optional<Path> directory = config.path(ConfigKeys.DRILL_DIRECTORY);
        Optional<Path> production = config.path(ConfigKeys.PGDATA);
        if (directory.isPresent() && production.isPresent()) {
            refuseInside(config, directory.get().toAbsolutePath().normalize(), production.get());
        }
        config.path(ConfigKeys.DRILL_CHECKS);
        amcheck(config);
    }

    private static void refuseInside(ConfigSource config, Path dir, Path production) throws ConfigException {
        if (inside(dir, production)) {
            throw config.invalid(ConfigKeys.DRILL_DIRECTORY, "'" + dir + "' is production's data directory (pgdata) "
                    + "or inside it; a drill restores only outside it");
        }
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
