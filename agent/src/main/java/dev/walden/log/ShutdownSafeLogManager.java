package dev.walden.log;

import java.util.logging.LogManager;

/**
 * The JDK's {@link LogManager} with one change: its own shutdown hook no longer silences logging.
 * The JDK resets every handler from a shutdown hook of its own, which runs at the same time as the
 * agent's: "agent shutting down", the files still being archived and "agent stopped" were lost.
 * As Tomcat's log manager does, the reset from that hook is ignored; the process then ends in the
 * agent's hook, and every line is already out ({@link java.util.logging.ConsoleHandler} flushes each).
 *
 * <p>Installed by {@link LogSetup#fromEnvironment} through {@code java.util.logging.manager}, which
 * the JDK reads once, when logging is first used.
 */
public final class ShutdownSafeLogManager extends LogManager {
    /** The JDK's hook is the nested class {@code LogManager.Cleaner}: a thread of its own class. */
    private static final String JDK_HOOK_PREFIX = LogManager.class.getName() + "$";

    @Override
    public void reset() {
        if (Thread.currentThread().getClass().getName().startsWith(JDK_HOOK_PREFIX)) {
            return;
        }
        super.reset();
    }
}
