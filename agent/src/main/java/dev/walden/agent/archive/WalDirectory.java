package dev.walden.agent.archive;

import dev.walden.wal.ClusterIdentity;
import dev.walden.wal.WalFileException.Reason;
import dev.walden.wal.WalFileException;
import dev.walden.wal.WalFileName;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * The pg_wal directory the agent serves. A requested path is accepted only when its name is a WAL
 * file name, its directory is this pg_wal (compared after resolving every symlink, so {@code ..}
 * and symlinked directories can't lead elsewhere) and it is a regular file, not a symlink.
 *
 * <p>One other directory passes: the pg_wal of a standby of this cluster, a data directory in
 * standby mode ({@code standby.signal}) whose {@code global/pg_control} holds this cluster's system
 * identifier. That is a standby made with {@code walden recover --standby --archive-mode always},
 * which archives what it receives through the same agent (identical files are acknowledged,
 * different ones refused: see SegmentArchiver). Any other copy of the cluster (a point-in-time
 * copy, a promoted standby, a clone) is refused: its WAL is a fork, and a fork's timeline in
 * production's repository would lead later recoveries astray.
 */
public final class WalDirectory {
    private final Path pgdata;
    private final Path configured;
    private final Path real;

    /** A file that passed: its parsed name and its path inside pg_wal. */
    public record WalFile(WalFileName name, Path path) {
    }

    public WalDirectory(Path pgdata, Path pgWal) throws IOException {
        this.pgdata = pgdata;
        this.configured = pgWal;
        try {
            this.real = pgWal.toRealPath();
        } catch (NoSuchFileException e) {
            throw new IOException("pg_wal directory '" + pgWal + "' does not exist");
        }
        if (!Files.isDirectory(real)) {
            throw new IOException("pg_wal '" + pgWal + "' is not a directory");
        }
    }

    public Path path() {
        return configured;
    }

    /**
     * Resolves a path as PostgreSQL's {@code %p} names it: absolute, or relative to PGDATA.
     *
     * @throws WalFileException BAD_NAME, OUTSIDE_PG_WAL or FILE_NOT_FOUND, naming the path
     */
    public WalFile resolve(String requested) throws WalFileException {
        Path path;
        try {
            path = pgdata.resolve(requested);
        } catch (InvalidPathException e) {
            throw new WalFileException(Reason.BAD_NAME, "'" + requested + "' is not a valid path");
        }
        Path fileName = path.getFileName();
        WalFileName name;
        try {
            name = WalFileName.parse(fileName == null ? "" : fileName.toString());
        } catch (IllegalArgumentException e) {
            throw new WalFileException(Reason.BAD_NAME, e.getMessage());
        }
        Path parent;
        try {
            parent = path.getParent().toRealPath();
        } catch (IOException e) {
            throw new WalFileException(Reason.OUTSIDE_PG_WAL, "'" + requested + "' is not inside pg_wal '"
                    + configured + "' (its directory does not exist)");
        }
        if (!parent.equals(real)) {
            standbyOfThisCluster(requested, path, parent);
        }
        Path file = parent.resolve(name.toString());
        BasicFileAttributes attrs;
        try {
            attrs = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            throw new WalFileException(Reason.FILE_NOT_FOUND, "'" + name + "' does not exist in pg_wal '"
                    + (parent.equals(real) ? configured : path.getParent()) + "'");
        }
        if (attrs.isSymbolicLink()) {
            throw new WalFileException(Reason.OUTSIDE_PG_WAL, "'" + requested + "' is a symbolic link; walden "
                    + "archives only regular files inside pg_wal");
        }
        if (!attrs.isRegularFile()) {
            throw new WalFileException(Reason.BAD_NAME, "'" + requested + "' is not a regular file");
        }
        return new WalFile(name, file);
    }

    /**
     * Passes when {@code realParent} is the pg_wal of a standby of this cluster; otherwise throws
     * OUTSIDE_PG_WAL.
     */
    private void standbyOfThisCluster(String requested, Path path, Path realParent) throws WalFileException {
        String outside = "'" + requested + "' is not inside pg_wal '" + configured + "'; walden archives only files "
                + "PostgreSQL wrote there (or in the pg_wal of a standby of this cluster)";
        Path pgWal = path.getParent();
        Path otherPgdata = pgWal.getParent();
        if (otherPgdata == null || !"pg_wal".equals(String.valueOf(pgWal.getFileName()))) {
            throw new WalFileException(Reason.OUTSIDE_PG_WAL, outside);
        }
        long ours;
        long theirs;
        try {
            // the data directory's own pg_wal (through its symlink, if any) must be this very directory
            if (!otherPgdata.resolve("pg_wal").toRealPath().equals(realParent)) {
                throw new WalFileException(Reason.OUTSIDE_PG_WAL, outside);
            }
            ours = ClusterIdentity.readSystemIdentifier(pgdata);
            theirs = ClusterIdentity.readSystemIdentifier(otherPgdata);
        } catch (IOException e) {
            throw new WalFileException(Reason.OUTSIDE_PG_WAL, outside);
        }
        if (ours != theirs) {
            throw new WalFileException(Reason.OUTSIDE_PG_WAL, "'" + requested + "' is in the pg_wal of another "
                    + "cluster (system identifier " + Long.toUnsignedString(theirs) + ", not "
                    + Long.toUnsignedString(ours) + "); walden archives only this cluster's WAL");
        }
        if (!Files.exists(otherPgdata.resolve("standby.signal"), LinkOption.NOFOLLOW_LINKS)) {
            throw new WalFileException(Reason.OUTSIDE_PG_WAL, "'" + requested + "' is in the pg_wal of a copy of "
                    + "this cluster that is not a standby (no standby.signal in " + otherPgdata + "): a promoted or "
                    + "recovered copy writes a fork of production's WAL, which must not enter its repository");
        }
    }
}
