package dev.walden.config;

import java.util.Locale;

/**
 * One configuration key: its name in the file, the environment variable that overrides it, its
 * default (null when the key has none) and one line of documentation.
 */
public record ConfigKey(String name, String defaultValue, String description) {
    /** The environment variable that overrides the key: {@code agent.socket} → {@code WALDEN_AGENT_SOCKET}. */
    public String environmentVariable() {
        return "WALDEN_" + name.toUpperCase(Locale.ROOT).replace('.', '_');
    }

    @Override
    public String toString() {
        return name;
    }
}
