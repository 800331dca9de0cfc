package dev.walden.protocol;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The walden release, filled in by the build. */
public final class WaldenVersion {
    private static final String VERSION = load();

    private WaldenVersion() {
    }

    public static String get() {
        return VERSION;
    }

    private static String load() {
        try (InputStream in = WaldenVersion.class.getResourceAsStream("/dev/walden/version.properties")) {
            Properties p = new Properties();
            if (in != null) {
                p.load(in);
            }
            return p.getProperty("version", "unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }
}
