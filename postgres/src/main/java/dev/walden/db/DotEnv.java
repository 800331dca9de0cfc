package dev.walden.db;

import dev.walden.config.ConfigException;
import dev.walden.config.FileAccess;
import dev.walden.config.Secrets;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A {@code .env} file, as the two scripts walden replaces (the daily {@code pg_dump} cron script and
 * the "safe restore" script) read it: {@code KEY=value} lines, optional
 * {@code export }, {@code #} comments, values optionally in single or double quotes. Parsed in
 * this one place.
 *
 * <p>It usually holds the database password, so it is refused when others may read it and holds
 * a secret, or when another user may change it (it names the host the password is sent to): see
 * {@link FileAccess}.
 */
public final class DotEnv {
    private DotEnv() {
    }

    /**
     * The variables in {@code file}; empty when there is no such file.
     *
     * @throws ConfigException when the file's owner or mode make it unsafe to use, naming the fix
     */
    public static Map<String, String> read(Path file) throws IOException, ConfigException {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return Map.of();
        }
        Map<String, String> values = new HashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            if (line.startsWith("export ")) {
                line = line.substring("export ".length()).strip();
            }
            int eq = line.indexOf('=');
            if (eq <= 0) {
                throw new IOException(file + " line " + (i + 1) + ": expected KEY=value");
            }
            String key = line.substring(0, eq).strip();
            String value = line.substring(eq + 1).strip();
            if (value.length() >= 2 && (value.startsWith("\"") && value.endsWith("\"")
                    || value.startsWith("'") && value.endsWith("'"))) {
                value = value.substring(1, value.length() - 1);
            }
            values.put(key, value);
        }
        boolean holdsSecret = values.entrySet().stream().anyMatch(e -> !e.getValue().isEmpty()
                && (Secrets.isSecretVariable(e.getKey()) || Secrets.looksSecret(e.getValue())));
        Optional<String> problem = FileAccess.settingsFileProblem(file, holdsSecret);
        if (problem.isPresent()) {
            throw new ConfigException(problem.get());
        }
        return values;
    }
}
