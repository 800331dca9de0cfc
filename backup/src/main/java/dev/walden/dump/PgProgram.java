package dev.walden.dump;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A PostgreSQL client program (pg_dump, pg_restore, psql) and its version. */
public record PgProgram(Path path, String version, int major) {
    private static final Pattern VERSION = Pattern.compile("\\(PostgreSQL\\) (\\d+)(\\.\\d+)?");

    /**
     * Finds {@code name} in {@code bin} when given, else on the PATH, and asks it its version.
     *
     * @throws IOException saying where it looked when it isn't there
     */
    public static PgProgram find(String name, Optional<Path> bin) throws IOException {
        Path path = null;
        if (bin.isPresent()) {
            path = bin.get().resolve(name);
        } else {
            for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
                if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, name))) {
                    path = Path.of(dir, name);
                    break;
                }
            }
        }
        if (path == null || !Files.isExecutable(path)) {
            throw new IOException("no " + name + (bin.isPresent() ? " in '" + bin.get() + "'" : " on the PATH")
                    + "; set pg_bin to PostgreSQL's programs, e.g. /usr/lib/postgresql/15/bin");
        }
        Process p = new ProcessBuilder(path.toString(), "--version").redirectErrorStream(true).start();
        String out;
        try {
            // a version line fits the pipe: wait first, so the limit holds even if it never answers
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(path + " --version did not answer within 30 s");
            }
            out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            throw new IOException("interrupted asking " + path + " its version", e);
        }
        Matcher m = VERSION.matcher(out);
        if (!m.find()) {
            throw new IOException(path + " --version printed '" + out + "', not a PostgreSQL version");
        }
        return new PgProgram(path, m.group(1) + (m.group(2) == null ? "" : m.group(2)), Integer.parseInt(m.group(1)));
    }
}
