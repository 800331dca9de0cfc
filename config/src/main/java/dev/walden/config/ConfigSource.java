package dev.walden.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads walden's configuration: a file of {@code key = value} lines, then {@code WALDEN_*}
 * environment variables on top. The one place the file format is parsed.
 *
 * <p>Format: one {@code key = value} per line; blank lines and lines starting with {@code #} are
 * ignored; the value is everything after the first {@code =}, trimmed, with one pair of surrounding
 * double quotes removed. A key may appear once. Relative paths are resolved against the directory
 * of the config file (the working directory when there is no file).
 *
 * <p>An unknown key, a duplicate key, a malformed line or an unknown {@code WALDEN_*} variable is
 * an error that names it. So is a file another user may change, or one holding a password that
 * others may read ({@link FileAccess}).
 */
public final class ConfigSource {
    /** A check of a whole configuration: every key's value, by the rules of the code that reads it. */
    @FunctionalInterface
    public interface Check {
        void check(ConfigSource config) throws ConfigException;
    }

    private static volatile Check everyLocated = config -> {
    };

    private final Path file;
    private final Path baseDirectory;
    private final Map<String, String> values;
    private final Map<String, String> origins;
    private final Map<String, String> environment;

    private ConfigSource(Path file, Path baseDirectory, Map<String, String> values, Map<String, String> origins,
                         Map<String, String> environment) {
        this.file = file;
        this.baseDirectory = baseDirectory;
        this.values = values;
        this.origins = origins;
        this.environment = environment;
    }

    /**
     * Loads the config file chosen the usual way: {@code configFlag} when given, else
     * {@code WALDEN_CONFIG}, else {@value ConfigKeys#DEFAULT_CONFIG_FILE} if it exists; then
     * applies environment overrides, and the check set by {@link #checkEveryLocated}.
     */
    public static ConfigSource locate(String configFlag, Map<String, String> env) throws ConfigException {
        ConfigSource config;
        String fromEnv = env.get("WALDEN_CONFIG");
        if (configFlag != null) {
            config = load(Path.of(configFlag), true, env);
        } else if (fromEnv != null && !fromEnv.isBlank()) {
            config = load(Path.of(fromEnv), true, env);
        } else {
            config = load(Path.of(ConfigKeys.DEFAULT_CONFIG_FILE), false, env);
        }
        everyLocated.check(config);
        return config;
    }

    /**
     * Sets the check {@link #locate} applies to every configuration it returns. The rules of each
     * key live with the code that reads it, in modules this one can't see; walden's command line
     * sets a check that applies them all, so every command refuses a value the agent would refuse,
     * whether or not it reads that key.
     */
    public static void checkEveryLocated(Check check) {
        everyLocated = check;
    }

    /**
     * Loads {@code file} (may be null: environment only) and applies overrides from {@code env}.
     *
     * @param mustExist whether a missing file is an error; false lets the default file be absent
     */
    public static ConfigSource load(Path file, boolean mustExist, Map<String, String> env) throws ConfigException {
        Map<String, String> values = new HashMap<>();
        Map<String, String> origins = new HashMap<>();
        Map<String, String> applied = new HashMap<>();
        Path base = Path.of("").toAbsolutePath();
        Path loaded = null;
        if (file != null) {
            Path absolute = file.toAbsolutePath();
            List<String> lines;
            try {
                lines = Files.readAllLines(absolute, StandardCharsets.UTF_8);
                loaded = absolute;
                base = absolute.getParent();
            } catch (NoSuchFileException e) {
                if (mustExist) {
                    throw new ConfigException("config file '" + absolute + "' does not exist");
                }
                lines = List.of();
            } catch (IOException e) {
                throw new ConfigException("cannot read config file '" + absolute + "': " + e.getMessage(), e);
            }
            parseLines(absolute, lines, values, origins);
            if (loaded != null) {
                checkAccess(absolute, values);
            }
        }
        for (Map.Entry<String, String> e : env.entrySet()) {
            String variable = e.getKey();
            if (variable.equals(ConfigKeys.PASSPHRASE_VARIABLE)) {
                applied.put(variable, e.getValue()); // not a key: environment() hands it to the commands that need it
                continue;
            }
            if (!variable.startsWith("WALDEN_") || ConfigKeys.RESERVED_ENVIRONMENT.contains(variable)) {
                continue;
            }
            ConfigKey key = ConfigKeys.byEnvironmentVariable(variable).orElseThrow(() -> new ConfigException(
                    "unknown environment variable " + variable + ": it matches no configuration key"));
            values.put(key.name(), e.getValue().strip());
            origins.put(key.name(), "environment variable " + variable);
            applied.put(variable, e.getValue());
        }
        return new ConfigSource(loaded, base, values, origins, Map.copyOf(applied));
    }

    /** Refuses a file another user may change, or one holding a password others may read (see FileAccess). */
    private static void checkAccess(Path file, Map<String, String> values) throws ConfigException {
        boolean holdsSecret = values.values().stream().anyMatch(Secrets::looksSecret);
        try {
            var problem = FileAccess.settingsFileProblem(file, holdsSecret);
            if (problem.isPresent()) {
                throw new ConfigException(problem.get());
            }
        } catch (IOException e) {
            throw new ConfigException("cannot read config file '" + file + "': " + e.getMessage(), e);
        }
    }

    private static void parseLines(Path file, List<String> lines, Map<String, String> values,
                                   Map<String, String> origins) throws ConfigException {
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            String where = file + " line " + (i + 1);
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int eq = line.indexOf('=');
            if (eq < 0) {
                throw new ConfigException(where + ": expected 'key = value', got '" + line + "'");
            }
            String name = line.substring(0, eq).strip();
            String value = unquote(line.substring(eq + 1).strip());
            if (ConfigKeys.byName(name).isEmpty()) {
                throw new ConfigException(where + ": unknown key '" + name + "'");
            }
            if (values.containsKey(name)) {
                throw new ConfigException(where + ": key '" + name + "' is set twice");
            }
            values.put(name, value);
            origins.put(name, where);
        }
    }

    private static String unquote(String value) {
        if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
            return value.substring(1, value.length() - 1);
        }
        return value;
    }

    /** The file that was read, if any. */
    public Optional<Path> file() {
        return Optional.ofNullable(file);
    }

    /**
     * The {@code WALDEN_*} variables that were applied on top of the file, and the repository
     * passphrase when there is one. A walden command this one starts (a recovered server's
     * restore_command) gets exactly these, so it reads the same configuration and not whatever
     * else is in its environment.
     */
    public Map<String, String> environment() {
        return environment;
    }

    /** The value as written, or the key's default; empty when neither exists. */
    public Optional<String> raw(ConfigKey key) {
        String value = values.get(key.name());
        if (value == null) {
            value = key.defaultValue();
        }
        return Optional.ofNullable(value);
    }

    /** Whether the key was set in the file or the environment (rather than left at its default). */
    public boolean isSet(ConfigKey key) {
        return values.containsKey(key.name());
    }

    /**
     * For an error about a path that came from nowhere but the key's default, with no config file
     * read: says so, and what the path is relative to. Empty when the value was chosen (in a
     * config file or the environment).
     */
    public Optional<String> fallbackNote(ConfigKey key) {
        if (file != null || isSet(key)) {
            return Optional.empty();
        }
        return Optional.of("no config file was found (none given with --config or $WALDEN_CONFIG, and no "
                + ConfigKeys.DEFAULT_CONFIG_FILE + "), so " + key + " is its default '" + key.defaultValue()
                + "', relative to the working directory '" + baseDirectory + "'");
    }

    /** Where the key's value came from, for error messages. */
    public String origin(ConfigKey key) {
        return origins.getOrDefault(key.name(), "default");
    }

    public String required(ConfigKey key) throws ConfigException {
        Optional<String> value = raw(key).filter(v -> !v.isEmpty());
        if (value.isEmpty()) {
            throw new ConfigException(key + " is required: set it in " + describeFile() + " or in "
                    + key.environmentVariable());
        }
        return value.get();
    }

    public Path requiredPath(ConfigKey key) throws ConfigException {
        return resolve(key, required(key));
    }

    /** The key as a path, or empty when it is unset and has no default. */
    public Optional<Path> path(ConfigKey key) throws ConfigException {
        Optional<String> value = raw(key).filter(v -> !v.isEmpty());
        return value.isEmpty() ? Optional.empty() : Optional.of(resolve(key, value.get()));
    }

    private Path resolve(ConfigKey key, String value) throws ConfigException {
        try {
            return baseDirectory.resolve(value).normalize();
        } catch (RuntimeException e) {
            throw invalid(key, "'" + value + "' is not a valid path");
        }
    }

    public int integer(ConfigKey key, int min, int max) throws ConfigException {
        String value = required(key);
        try {
            int n = Integer.parseInt(value);
            if (n < min || n > max) {
                throw invalid(key, n + " is outside " + min + "-" + max);
            }
            return n;
        } catch (NumberFormatException e) {
            throw invalid(key, "'" + value + "' is not a whole number");
        }
    }

    /** {@code on}/{@code off} (also true/false, yes/no). */
    public boolean bool(ConfigKey key) throws ConfigException {
        String value = required(key).toLowerCase(java.util.Locale.ROOT);
        return switch (value) {
            case "on", "true", "yes" -> true;
            case "off", "false", "no" -> false;
            default -> throw invalid(key, "'" + value + "' is neither on nor off");
        };
    }

    /** The directory the config file is in (the working directory without one): where .env is read from. */
    public Path baseDirectory() {
        return baseDirectory;
    }

    public Duration duration(ConfigKey key) throws ConfigException {
        String value = required(key);
        try {
            return Durations.parse(value);
        } catch (IllegalArgumentException e) {
            throw invalid(key, e.getMessage());
        }
    }

    /**
     * The key's value read by {@code parser}; an {@link IllegalArgumentException} it throws
     * becomes an error that names the key and where it was set.
     */
    public <T> T parsed(ConfigKey key, java.util.function.Function<String, T> parser) throws ConfigException {
        try {
            return parser.apply(required(key));
        } catch (IllegalArgumentException e) {
            throw invalid(key, e.getMessage());
        }
    }

    /** An error about the key's value that names the key and where it was set. */
    public ConfigException invalid(ConfigKey key, String problem) {
        return new ConfigException(key + " (" + origin(key) + "): " + problem);
    }

    private String describeFile() {
        return file == null ? "the config file" : "'" + file + "'";
    }
}
