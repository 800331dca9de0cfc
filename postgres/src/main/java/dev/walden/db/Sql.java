package dev.walden.db;

/** Quoting for names walden puts into SQL and libpq connection strings; every such name goes through here. */
public final class Sql {
    /** PostgreSQL's NAMEDATALEN - 1: the longest identifier, in bytes. */
    public static final int MAX_IDENTIFIER_BYTES = 63;

    private Sql() {
    }

    /** A double-quoted identifier: any name, kept exactly (case, spaces, quotes). */
    public static String identifier(String name) {
        if (name.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("a name can't contain a NUL character");
        }
        return "\"" + name.replace("\"", "\"\"") + "\"";
    }

    /** A value in a libpq connection string ({@code dbname='…'}), so that no name is read as options. */
    public static String conninfoValue(String value) {
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }
}
