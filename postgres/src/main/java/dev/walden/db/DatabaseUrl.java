package dev.walden.db;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * A libpq connection URI, {@code postgres[ql]://[user[:password]@][host][:port][/database][?params]},
 * parsed by hand in this one place. java.net.URI won't do: it silently drops the whole authority
 * for host names with an underscore (a docker-compose service such as {@code db_primary}) or a
 * password with an unescaped '#', '/' or '?', and walden would then connect somewhere else
 * without a word.
 */
record DatabaseUrl(Optional<String> user, Optional<String> password, Optional<String> host, Optional<String> port,
                   Optional<String> database, Optional<String> sslmode) {

    static DatabaseUrl parse(String url) {
        String rest;
        if (url.startsWith("postgresql://")) {
            rest = url.substring("postgresql://".length());
        } else if (url.startsWith("postgres://")) {
            rest = url.substring("postgres://".length());
        } else {
            throw new IllegalArgumentException("DATABASE_URL must start with postgres:// or postgresql://");
        }
        String query = "";
        // the password may hold '?' and '/': look for them only after the last '@'
        int at = rest.lastIndexOf('@');
        int searchFrom = Math.max(at, 0);
        int q = rest.indexOf('?', searchFrom);
        if (q >= 0) {
            query = rest.substring(q + 1);
            rest = rest.substring(0, q);
        }
        String path = "";
        int slash = rest.indexOf('/', searchFrom);
        if (slash >= 0) {
            path = rest.substring(slash + 1);
            rest = rest.substring(0, slash);
        }
        Optional<String> user = Optional.empty();
        Optional<String> password = Optional.empty();
        String hostPort = rest;
        if (at >= 0) {
            String userInfo = rest.substring(0, at);
            hostPort = rest.substring(at + 1);
            int colon = userInfo.indexOf(':');
            user = nonEmpty(decode(colon >= 0 ? userInfo.substring(0, colon) : userInfo));
            if (colon >= 0) {
                password = Optional.of(decode(userInfo.substring(colon + 1)));
            }
        }
        Optional<String> host;
        Optional<String> port = Optional.empty();
        if (hostPort.startsWith("[")) { // IPv6 literal
            int close = hostPort.indexOf(']');
            if (close < 0) {
                throw new IllegalArgumentException("DATABASE_URL has an unclosed '[' in its host");
            }
            host = Optional.of(hostPort.substring(1, close));
            String after = hostPort.substring(close + 1);
            if (after.startsWith(":")) {
                port = nonEmpty(after.substring(1));
            }
        } else {
            if (hostPort.contains(",")) {
                throw new IllegalArgumentException("DATABASE_URL names several hosts; walden needs the one server "
                        + "it backs up");
            }
            int colon = hostPort.lastIndexOf(':');
            host = nonEmpty(decode(colon >= 0 ? hostPort.substring(0, colon) : hostPort));
            if (colon >= 0) {
                port = nonEmpty(hostPort.substring(colon + 1));
            }
        }
        Optional<String> database = nonEmpty(decode(path));
        Optional<String> sslmode = Optional.empty();
        for (String pair : query.split("&")) {
            String[] kv = pair.split("=", 2);
            if (kv.length == 2 && kv[0].equals("sslmode")) {
                sslmode = Optional.of(decode(kv[1]));
            } else if (kv.length == 2 && kv[0].equals("host")) { // postgres:///db?host=/var/run/postgresql
                host = Optional.of(decode(kv[1]));
            } else if (kv.length == 2 && kv[0].equals("port")) {
                port = Optional.of(decode(kv[1]));
            }
        }
        return new DatabaseUrl(user, password, host, port, database, sslmode);
    }

    private static Optional<String> nonEmpty(String s) {
        return s == null || s.isEmpty() ? Optional.empty() : Optional.of(s);
    }

    /** Percent-decoding; unlike URLDecoder, '+' stays a plus (it may be part of a password). */
    private static String decode(String s) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == '%' && i + 2 < bytes.length) {
                int hi = Character.digit(bytes[i + 1], 16);
                int lo = Character.digit(bytes[i + 2], 16);
                if (hi >= 0 && lo >= 0) {
                    out.write(hi * 16 + lo);
                    i += 2;
                    continue;
                }
            }
            out.write(bytes[i]);
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}
