package dev.walden.db;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * A libpq connection URI for people to read, paste and log: never a password; the user, the
 * database and the host percent-encoded (RFC 3986), so that names holding spaces, quotes,
 * {@code @}, {@code /} or {@code ?} reach libpq as they are. A host starting with {@code /} is a
 * Unix socket directory and goes in the {@code host} parameter, as libpq reads it.
 */
public final class ConnectionUri {
    private ConnectionUri() {
    }

    /**
     * @param host a host name, an IP address, a socket directory, or empty for libpq's default socket
     */
    public static String of(String user, Optional<String> host, int port, String database) {
        String where;
        String query = "";
        if (host.isEmpty()) {
            where = "localhost";
        } else if (host.get().startsWith("/")) {
            where = "localhost";
            query = "?host=" + encode(host.get(), "/");
        } else if (host.get().contains(":")) {
            where = host.get().startsWith("[") ? host.get() : "[" + host.get() + "]"; // IPv6 literal
        } else {
            where = encode(host.get(), "");
        }
        return "postgresql://" + encode(user, "") + "@" + where + ":" + port + "/" + encode(database, "") + query;
    }

    /** Percent-encodes every byte but RFC 3986's unreserved characters and {@code keep}. */
    static String encode(String value, String keep) {
        StringBuilder out = new StringBuilder();
        for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xFF);
            if (c < 0x80 && (Character.isLetterOrDigit(c) || "-._~".indexOf(c) >= 0 || keep.indexOf(c) >= 0)) {
                out.append(c);
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit((b >> 4) & 0xF, 16)))
                        .append(Character.toUpperCase(Character.forDigit(b & 0xF, 16)));
            }
        }
        return out.toString();
    }
}
