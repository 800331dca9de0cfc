package dev.walden.backup;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Lists what a base backup copies from a data directory, applying {@link ExclusionRules}:
 * the files (with {@code global/pg_control} kept apart, to be copied last), the directories to
 * recreate, and the tablespaces, whose {@code pg_tblspc} links are followed.
 */
public final class DataDirectoryScan {
    private static final Pattern DATABASE_DIRECTORY = Pattern.compile("\\d+");

    /**
     * A file to copy: its path in the backup ({@code /}-separated), where it is now, and its size
     * and modification time when the scan saw it.
     */
    public record SourceFile(String path, Path source, long size, String mode, boolean relation,
                             java.time.Instant modified) {
    }

    /** A tablespace: the OID its link has in pg_tblspc and the directory it points to. */
    public record Tablespace(String oid, Path location) {
    }

    private final List<SourceFile> files = new ArrayList<>();
    private final List<String> directories = new ArrayList<>();
    private final List<Tablespace> tablespaces = new ArrayList<>();
    private SourceFile pgControl;
    /** Tablespaces hold a PG_<major>_<catversion> directory per version; only this cluster's is copied. */
    private String versionDirectoryPrefix;

    private DataDirectoryScan() {
    }

    public static DataDirectoryScan of(Path pgdata) throws IOException {
        DataDirectoryScan scan = new DataDirectoryScan();
        try {
            scan.versionDirectoryPrefix = "PG_" + Files.readString(pgdata.resolve("PG_VERSION")).strip() + "_";
        } catch (NoSuchFileException e) {
            scan.versionDirectoryPrefix = "PG_";
        }
        scan.walk(pgdata, "", true, false);
        if (scan.pgControl == null) {
            throw new IOException("'" + pgdata + "' has no global/pg_control: not a data directory");
        }
        return scan;
    }

    /** Files in copy order, without pg_control. */
    public List<SourceFile> files() {
        return files;
    }

    /** {@code global/pg_control}, to be copied after everything else. */
    public SourceFile pgControl() {
        return pgControl;
    }

    public List<String> directories() {
        return directories;
    }

    public List<Tablespace> tablespaces() {
        return tablespaces;
    }

    /**
     * Walks one directory. {@code databaseDir} is set for base/<oid> and tablespace database
     * directories, where temporary and unlogged relations are recognised.
     */
    private void walk(Path dir, String relative, boolean top, boolean databaseDir) throws IOException {
        List<Path> entries = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
            stream.forEach(entries::add);
        } catch (NoSuchFileException e) {
            return; // dropped while we walked (a database, a tablespace)
        }
        entries.sort(null);
        Set<String> unlogged = databaseDir ? unloggedRelations(entries) : Set.of();
        for (Path entry : entries) {
            String name = entry.getFileName().toString();
            String path = relative.isEmpty() ? name : relative + "/" + name;
            if (ExclusionRules.excludedAnywhere(name) || top && ExclusionRules.excludedAtTop(name)) {
                continue;
            }
            BasicFileAttributes attrs;
            try {
                attrs = Files.readAttributes(entry, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            } catch (NoSuchFileException e) {
                continue;
            }
            if (relative.equals("pg_tblspc") && attrs.isSymbolicLink()) {
                Path location = entry.toRealPath();
                tablespaces.add(new Tablespace(name, location));
                directories.add(path);
                walkTablespace(location, path);
                continue;
            }
            if (attrs.isSymbolicLink() && !(top && name.equals("pg_wal"))) {
                // a linked config file or directory (postgresql.conf, pg_xact on another disk):
                // what it points to is copied, and restored as a plain file or directory
                try {
                    attrs = Files.readAttributes(entry, BasicFileAttributes.class);
                } catch (NoSuchFileException e) {
                    continue; // a dangling link points at nothing to copy
                }
            }
            if (attrs.isDirectory() || attrs.isSymbolicLink() && top && name.equals("pg_wal")) {
                directories.add(path);
                if (ExclusionRules.excludesContentsOf(path)) {
                    if (path.equals("pg_wal")) {
                        directories.add("pg_wal/archive_status"); // PostgreSQL expects it on restore
                    }
                    continue;
                }
                boolean database = relative.equals("base") && DATABASE_DIRECTORY.matcher(name).matches();
                walk(entry, path, false, database);
                continue;
            }
            if (!attrs.isRegularFile()) {
                continue; // sockets, fifos
            }
            if (databaseDir && ExclusionRules.isTemporaryRelation(name)) {
                continue;
            }
            String relfilenode = databaseDir ? ExclusionRules.relfilenode(name) : null;
            if (relfilenode != null && unlogged.contains(relfilenode) && !ExclusionRules.isInitFork(name)) {
                continue; // an unlogged relation: only its init fork; PostgreSQL rebuilds the rest
            }
            boolean relation = relfilenode != null || relative.equals("global") && ExclusionRules.relfilenode(name) != null;
            SourceFile file = new SourceFile(path, entry, attrs.size(), mode(entry), relation,
                    attrs.lastModifiedTime().toInstant());
            if (path.equals("global/pg_control")) {
                pgControl = file;
            } else {
                files.add(file);
            }
        }
    }

    /** pg_tblspc/<oid> → PG_<major>_<catversion>/<database oid>/<relation files>. */
    private void walkTablespace(Path location, String relative) throws IOException {
        List<Path> versions = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(location)) {
            stream.forEach(versions::add);
        }
        for (Path version : versions) {
            if (!Files.isDirectory(version, LinkOption.NOFOLLOW_LINKS)
                    || !version.getFileName().toString().startsWith(versionDirectoryPrefix)) {
                continue; // another major's directory, e.g. left behind by pg_upgrade
            }
            String versionPath = relative + "/" + version.getFileName();
            directories.add(versionPath);
            List<Path> databases = new ArrayList<>();
            try (DirectoryStream<Path> stream = Files.newDirectoryStream(version)) {
                stream.forEach(databases::add);
            }
            for (Path database : databases) {
                String name = database.getFileName().toString();
                if (Files.isDirectory(database, LinkOption.NOFOLLOW_LINKS) && !ExclusionRules.excludedAnywhere(name)) {
                    directories.add(versionPath + "/" + name);
                    walk(database, versionPath + "/" + name, false, DATABASE_DIRECTORY.matcher(name).matches());
                }
            }
        }
    }

    private static Set<String> unloggedRelations(List<Path> entries) {
        Set<String> unlogged = new HashSet<>();
        for (Path entry : entries) {
            String name = entry.getFileName().toString();
            if (ExclusionRules.isInitFork(name)) {
                unlogged.add(ExclusionRules.relfilenode(name));
            }
        }
        return unlogged;
    }

    private static String mode(Path file) {
        try {
            return PosixFilePermissions.toString(
                    Files.readAttributes(file, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS).permissions());
        } catch (IOException | UnsupportedOperationException e) {
            return "rw-------";
        }
    }
}
