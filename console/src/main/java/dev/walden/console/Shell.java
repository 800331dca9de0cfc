package dev.walden.console;

/**
 * Words printed for an operator to paste into a shell ({@code psql "…"}, {@code pg_ctl -D …}):
 * quoted so that the shell gives back exactly the word, whatever a name holds.
 */
public final class Shell {
    /** What a POSIX shell (or bash's history expansion) still interprets inside double quotes. */
    private static final String SPECIAL_IN_DOUBLE_QUOTES = "$`\"\\!";

    private Shell() {
    }

    /**
     * {@code word} quoted for a POSIX shell: in double quotes when nothing in it is special there
     * (the form people expect around a connection string), else in single quotes, a {@code '}
     * inside written as {@code '\''}.
     */
    public static String quote(String word) {
        if (word.chars().noneMatch(c -> SPECIAL_IN_DOUBLE_QUOTES.indexOf(c) >= 0)) {
            return '"' + word + '"';
        }
        return "'" + word.replace("'", "'\\''") + "'";
    }
}
