package dev.walden.agent.jobs;

import com.cronutils.model.Cron;
import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.parser.CronParser;
import dev.walden.backup.BackupSettings;
import dev.walden.config.ConfigException;
import dev.walden.config.ConfigKeys;
import dev.walden.config.ConfigSource;
import java.time.DayOfWeek;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What the agent needs to take backups and dumps, and when it runs them on its own.
 *
 * @param schedule the daily run, a five-field cron expression in the local time zone; empty: none
 * @param jobs what a scheduled run does, in this order: backup, dump, expire
 * @param fullDays the days whose first scheduled backup is full; the other scheduled backups are incremental
 * @param drillSchedule when the agent runs a restore drill; empty: never
 * @param verifySchedule when the agent runs walden verify; empty: never
 * @param configFile the file the agent read, handed to the drill and verify it starts
 */
public record JobSetup(BackupSettings settings, Optional<Cron> schedule, List<String> jobs, Set<DayOfWeek> fullDays,
                       Optional<Cron> drillSchedule, Optional<Cron> verifySchedule, Optional<java.nio.file.Path> configFile) {
    public static final List<String> KNOWN_JOBS = List.of("backup", "dump", "expire");

    public static JobSetup from(ConfigSource config, Map<String, String> env) throws ConfigException {
        return new JobSetup(BackupSettings.from(config, env), cron(config, ConfigKeys.SCHEDULE), jobs(config),
                fullDays(config), cron(config, ConfigKeys.SCHEDULE_DRILL), cron(config, ConfigKeys.SCHEDULE_VERIFY),
                config.file());
    }

    /**
     * Checks every value the agent's jobs read, by the same rules, without requiring what only
     * taking them needs (pgdata, the database connection).
     */
    public static void check(ConfigSource config) throws ConfigException {
        BackupSettings.check(config);
        cron(config, ConfigKeys.SCHEDULE);
        cron(config, ConfigKeys.SCHEDULE_DRILL);
        cron(config, ConfigKeys.SCHEDULE_VERIFY);
        jobs(config);
        fullDays(config);
    }

    private static Set<DayOfWeek> fullDays(ConfigSource config) throws ConfigException {
        String value = config.required(ConfigKeys.SCHEDULE_FULL).strip().toLowerCase(Locale.ROOT);
        if (value.equals("*")) {
            return EnumSet.allOf(DayOfWeek.class);
        }
        Set<DayOfWeek> days = EnumSet.noneOf(DayOfWeek.class);
        for (String day : value.split(",")) {
            DayOfWeek match = null;
            for (DayOfWeek d : DayOfWeek.values()) {
                if (d.name().toLowerCase(Locale.ROOT).substring(0, 3).equals(day.strip())) {
                    match = d;
                }
            }
            if (match == null) {
                throw config.invalid(ConfigKeys.SCHEDULE_FULL, "'" + day.strip() + "' is not a day (mon, tue, wed, "
                        + "thu, fri, sat, sun), and the value is not * (every scheduled backup full)");
            }
            days.add(match);
        }
        return days;
    }

    private static Optional<Cron> cron(ConfigSource config, dev.walden.config.ConfigKey key) throws ConfigException {
        String expression = config.raw(key).orElse("").strip();
        if (expression.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX))
                    .parse(expression).validate());
        } catch (IllegalArgumentException e) {
            throw config.invalid(key, "'" + expression + "' is not a cron expression ("
                    + e.getMessage() + "); e.g. '0 2 * * *' for 02:00 every day");
        }
    }

    private static List<String> jobs(ConfigSource config) throws ConfigException {
        List<String> jobs = Arrays.stream(config.raw(ConfigKeys.SCHEDULE_JOBS).orElse("").split(","))
                .map(String::strip).filter(s -> !s.isEmpty()).toList();
        for (String job : jobs) {
            if (!KNOWN_JOBS.contains(job)) {
                throw config.invalid(ConfigKeys.SCHEDULE_JOBS, "unknown job '" + job + "' (expected backup, dump, expire)");
            }
        }
        return KNOWN_JOBS.stream().filter(jobs::contains).toList();
    }
}
