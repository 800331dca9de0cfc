package dev.walden.dump;

import java.util.Locale;

/** The dump formats walden writes: plain SQL (default, "for easy inspection") or pg_dump's custom format. */
public enum DumpFormat {
    PLAIN("p"),
    CUSTOM("c");

    private final String pgDumpFlag;

    DumpFormat(String pgDumpFlag) {
        this.pgDumpFlag = pgDumpFlag;
    }

    String pgDumpFlag() {
        return pgDumpFlag;
    }

    public static DumpFormat fromConfigName(String name) {
        return switch (name.strip().toLowerCase(Locale.ROOT)) {
            case "plain" -> PLAIN;
            case "custom" -> CUSTOM;
            default -> throw new IllegalArgumentException("unknown dump format '" + name + "' (expected plain or custom)");
        };
    }
}
