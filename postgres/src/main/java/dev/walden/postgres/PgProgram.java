package dev.walden.postgres;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
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
        Path path = PgBinaries.program(name, bin);
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
