package dev.walden.postgres;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Where PostgreSQL's programs are: the one search every part of walden uses. A configured
 * directory ({@code pg_bin}, {@code --pg-bin}) is taken as given; otherwise the places the
 * distributions install to (Debian's {@code /usr/lib/postgresql/N/bin}, the PGDG RPMs'
 * {@code /usr/pgsql-N/bin}), newest major first, then the PATH.
 */
public final class PgBinaries {
    private static final int NEWEST_MAJOR = 18;
    private static final int OLDEST_MAJOR = 13;

    private PgBinaries() {
    }

    /**
     * The directory of the server programs (postgres, initdb, pg_ctl): {@code configured}, else
     * the first packaged or PATH directory that holds them.
     *
     * @throws IOException saying where it looked and what to install or set
     */
    public static Path server(Optional<Path> configured) throws IOException {
        if (configured.isPresent()) {
            Path bin = configured.get();
            if (!holdsServer(bin)) {
                throw new IOException("'" + bin + "' holds no PostgreSQL server programs (postgres, initdb, pg_ctl)");
            }
            return bin;
        }
        List<Path> candidates = new ArrayList<>();
        for (int major = NEWEST_MAJOR; major >= OLDEST_MAJOR; major--) {
            candidates.addAll(packaged(major));
        }
        candidates.addAll(path());
        for (Path bin : candidates) {
            if (holdsServer(bin)) {
                return bin.toRealPath();
            }
        }
        throw new IOException("no PostgreSQL server programs found (looked in /usr/lib/postgresql/*/bin, "
                + "/usr/pgsql-*/bin and the PATH): install the server (e.g. apt-get install postgresql-15) or set pg_bin");
    }

    /**
     * The server programs of PostgreSQL {@code major}: {@code configured}, else where that major's
     * package installs them, else {@link #server(Optional)}'s search; checked to be that major.
     *
     * @throws IOException naming the version found when it is another major
     */
    public static Path server(Optional<Path> configured, int major) throws IOException {
        Path bin = null;
        if (configured.isEmpty()) {
            bin = packaged(major).stream().filter(d -> Files.isExecutable(d.resolve("postgres"))).findFirst()
                    .orElse(null);
        }
        if (bin == null) {
            bin = server(configured);
        }
        PgProgram postgres = PgProgram.find("postgres", Optional.of(bin));
        if (postgres.major() != major) {
            throw new IOException("the backup is PostgreSQL " + major + ", but " + postgres.path() + " is PostgreSQL "
                    + postgres.version() + ": set pg_bin (or --pg-bin) to PostgreSQL " + major + "'s programs");
        }
        return bin;
    }

    /**
     * The program {@code name} (pg_dump, psql, …): in {@code bin} when given, else the first on the PATH.
     *
     * @throws IOException saying where it looked when it isn't there
     */
    public static Path program(String name, Optional<Path> bin) throws IOException {
        Optional<Path> path = bin.map(b -> b.resolve(name))
                .or(() -> path().stream().map(d -> d.resolve(name)).filter(Files::isExecutable).findFirst());
        if (path.isEmpty() || !Files.isExecutable(path.get())) {
            throw new IOException("no " + name + (bin.isPresent() ? " in '" + bin.get() + "'" : " on the PATH")
                    + "; set pg_bin to PostgreSQL's programs, e.g. /usr/lib/postgresql/15/bin");
        }
        return path.get();
    }

    private static boolean holdsServer(Path bin) {
        return Files.isExecutable(bin.resolve("postgres")) && Files.isExecutable(bin.resolve("initdb"));
    }

    private static List<Path> packaged(int major) {
        return List.of(Path.of("/usr/lib/postgresql/" + major + "/bin"), Path.of("/usr/pgsql-" + major + "/bin"));
    }

    private static List<Path> path() {
        List<Path> dirs = new ArrayList<>();
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!dir.isEmpty()) {
                dirs.add(Path.of(dir));
            }
        }
        return dirs;
    }
}
