package dev.walden.backup;

import java.util.Set;
import java.util.regex.Pattern;

/**
 * What a base backup leaves out of the data directory, as PostgreSQL's own BASE_BACKUP does
 * (src/backend/backup/basebackup.c) and its documentation requires, plus what pgBackRest adds.
 */
public final class ExclusionRules {
    /** Directories kept (empty) but whose contents are never copied. */
    static final Set<String> EXCLUDED_CONTENTS = Set.of("pg_wal", "pg_replslot", "pg_dynshmem", "pg_notify",
            "pg_serial", "pg_snapshots", "pg_stat_tmp", "pg_subtrans");

    /** Files never copied, by name, in the top directory. */
    static final Set<String> EXCLUDED_TOP_FILES = Set.of("postmaster.pid", "postmaster.opts",
            "postgresql.auto.conf.tmp", "current_logfiles.tmp", "backup_label", "backup_label.old", "tablespace_map",
            "backup_manifest", "recovery.signal", "standby.signal");

    /** A relation fork file: relfilenode, optional fork, optional segment number. */
    static final Pattern RELATION_FILE = Pattern.compile("(\\d+)(_(fsm|vm|init))?(\\.\\d+)?");
    /** A temporary relation: t<backend>_<relfilenode>[_fork][.segment]. */
    static final Pattern TEMP_RELATION = Pattern.compile("t\\d+_\\d+(_(fsm|vm|init))?(\\.\\d+)?");

    private ExclusionRules() {
    }

    /** Whether a directory's contents are left out (the directory itself is kept). */
    public static boolean excludesContentsOf(String relativeDirectory) {
        return EXCLUDED_CONTENTS.contains(relativeDirectory);
    }

    /** Whether a file or directory with this name is left out wherever it is. */
    public static boolean excludedAnywhere(String name) {
        return name.startsWith("pgsql_tmp") || name.equals("pg_internal.init") || name.startsWith("pg_internal.init.");
    }

    public static boolean excludedAtTop(String name) {
        return EXCLUDED_TOP_FILES.contains(name);
    }

    /** Whether a file in a database directory is a temporary relation. */
    public static boolean isTemporaryRelation(String name) {
        return TEMP_RELATION.matcher(name).matches();
    }

    /** The relfilenode of a relation fork file, or null if the name isn't one. */
    public static String relfilenode(String name) {
        var m = RELATION_FILE.matcher(name);
        return m.matches() ? m.group(1) : null;
    }

    /** Whether the file is an init fork ({@code <relfilenode>_init}, any segment). */
    public static boolean isInitFork(String name) {
        var m = RELATION_FILE.matcher(name);
        return m.matches() && "init".equals(m.group(3));
    }
}
