package dev.walden.storage;

import java.util.regex.Pattern;

/** Validation of storage keys, as the {@link Storage} contract defines them. */
public final class StorageKeys {
    public static final int MAX_LENGTH = 1024;
    private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._-]*");

    private StorageKeys() {
    }

    /** Returns the key, or throws {@link IllegalArgumentException} saying what is wrong with it. */
    public static String check(String key) {
        if (key == null || key.isEmpty()) {
            throw new IllegalArgumentException("storage key is empty");
        }
        if (key.length() > MAX_LENGTH) {
            throw new IllegalArgumentException("storage key longer than " + MAX_LENGTH + " characters");
        }
        for (String segment : key.split("/", -1)) {
            if (!SEGMENT.matcher(segment).matches()) {
                throw new IllegalArgumentException("invalid storage key '" + key + "': segment '" + segment
                        + "' must start with a letter, digit or '_' and hold only letters, digits and '._-'");
            }
        }
        return key;
    }

    /** Checks a listing prefix: empty, or a key, or a key followed by '/'. */
    public static String checkPrefix(String prefix) {
        if (prefix.isEmpty()) {
            return prefix;
        }
        check(prefix.endsWith("/") ? prefix.substring(0, prefix.length() - 1) : prefix);
        return prefix;
    }
}
