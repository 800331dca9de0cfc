package dev.walden.console;

import java.io.Console;
import java.lang.reflect.Method;
import java.util.Locale;
import java.util.Map;

/**
 * How progress is shown: redrawn in place on a terminal, periodic lines otherwise (a log file
 * or a pipe must not fill with carriage returns), or not at all. {@code WALDEN_PROGRESS=bar|lines|off}
 * overrides the guess.
 */
public enum Terminal {
    BAR, LINES, OFF;

    /** The mode for this process: {@code WALDEN_PROGRESS} if set, else whether stdout is a terminal. */
    public static Terminal detect() {
        return detect(System.getenv(), isInteractive());
    }

    static Terminal detect(Map<String, String> env, boolean interactive) {
        String forced = env.get("WALDEN_PROGRESS");
        if (forced != null && !forced.isBlank()) {
            try {
                return valueOf(forced.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                // an unknown value is not worth failing a restore for; guess as if unset
            }
        }
        return interactive ? BAR : LINES;
    }

    private static boolean isInteractive() {
        Console console = System.console();
        if (console == null) {
            return false;
        }
        // From JDK 22 System.console() may answer even when output is redirected; isTerminal()
        // (JDK 22+, absent from our release-21 API) then says which. Older JDKs return null instead.
        try {
            Method isTerminal = Console.class.getMethod("isTerminal");
            return (Boolean) isTerminal.invoke(console);
        } catch (ReflectiveOperationException e) {
            return true;
        }
    }
}
