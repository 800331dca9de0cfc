package dev.walden.config;

import java.util.Comparator;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.regex.Pattern;

/**
 * Secret values this process knows (database passwords, cloud keys), so that whatever writes a log
 * line can take them out, whichever library or exception message put them there. Code that
 * reads a secret registers it; the log formatter calls {@link #redact}. Passwords in connection
 * URLs and {@code password=} pairs are masked even when nobody registered them.
 */
public final class Secrets {
    /** Environment variables whose values are secrets wherever they appear. */
    public static final Set<String> ENVIRONMENT = Set.of("PGPASSWORD", "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN", ConfigKeys.PASSPHRASE_VARIABLE);
    public static final String MASK = "***";
    /** Shorter values would mask ordinary words; a real password or key is longer. */
    private static final int MIN_LENGTH = 4;
    private static final Pattern URL_PASSWORD = Pattern.compile("(\\b[a-z][a-z0-9+.-]*://[^:/@\\s]*:)[^@\\s]+@");
    private static final Pattern SECRET_NAME = Pattern.compile("PASSWORD|PASSWD|SECRET|TOKEN");
    private static final Pattern PASSWORD_PAIR = Pattern.compile("(?i)(password\\s*[=:]\\s*)[^\\s,;&'\"]+");

    /** Longest first: a secret containing another is masked whole. */
    private static final Set<String> KNOWN = new ConcurrentSkipListSet<>(
            Comparator.comparingInt(String::length).reversed().thenComparing(Comparator.naturalOrder()));

    private Secrets() {
    }

    public static void register(String secret) {
        if (secret != null && secret.length() >= MIN_LENGTH) {
            KNOWN.add(secret);
        }
    }

    /** Registers the secrets among these environment variables (and the password of DATABASE_URL, if any). */
    public static void registerEnvironment(Map<String, String> env) {
        ENVIRONMENT.forEach(name -> register(env.get(name)));
        String url = env.get("DATABASE_URL");
        if (url != null) {
            var m = URL_PASSWORD.matcher(url);
            if (m.find()) {
                register(url.substring(m.end(1), m.end() - 1));
            }
        }
    }

    /**
     * Whether {@code value} holds a secret by its look alone: a password in a URL
     * ({@code postgres://user:password@host}) or a {@code password=} pair, what {@link #redact}
     * masks without being told.
     */
    public static boolean looksSecret(String value) {
        return URL_PASSWORD.matcher(value).find() || PASSWORD_PAIR.matcher(value).find();
    }

    /**
     * Whether a variable of this name holds a secret: {@link #ENVIRONMENT}, or a name with
     * PASSWORD, PASSWD, SECRET or TOKEN in it ({@code DB_PASSWORD} of the two scripts walden replaces:
     * the daily {@code pg_dump} cron script and the "safe restore" script).
     */
    public static boolean isSecretVariable(String name) {
        String upper = name.toUpperCase(java.util.Locale.ROOT);
        return ENVIRONMENT.contains(name) || SECRET_NAME.matcher(upper).find();
    }

    /** {@code text} with every known secret, URL password and {@code password=} value replaced by {@link #MASK}. */
    public static String redact(String text) {
        if (text == null) {
            return null;
        }
        String out = text;
        for (String secret : KNOWN) {
            out = out.replace(secret, MASK);
        }
        out = URL_PASSWORD.matcher(out).replaceAll("$1" + MASK + "@");
        return PASSWORD_PAIR.matcher(out).replaceAll("$1" + MASK);
    }
}
