package dev.walden.cli;

import dev.walden.protocol.WaldenVersion;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;

/**
 * What {@code walden --version} says: the release, the commit it was built from, the Java runtime
 * it runs on, and the PostgreSQL majors an archive module was built for in this installation.
 *
 * @param home the installation ({@code walden.home}), when known
 */
record BuildInfo(String version, String commit, String runtime, List<Integer> archiveModuleMajors,
                 Optional<Path> home) {

    static BuildInfo of(Optional<Path> home) {
        String commit = "unknown";
        List<Integer> majors = new ArrayList<>();
        if (home.isPresent()) {
            Properties build = new Properties();
            try (Reader in = Files.newBufferedReader(home.get().resolve("lib/build-info.properties"))) {
                build.load(in);
                commit = build.getProperty("commit", commit);
            } catch (IOException e) {
                // a development run from the classes: no build record
            }
            majors = archiveModuleMajors(home.get().resolve("lib/postgresql"));
        }
        String runtime = "Java " + System.getProperty("java.runtime.version") + " ("
                + System.getProperty("java.vendor") + ", " + System.getProperty("java.home") + ")";
        return new BuildInfo(WaldenVersion.get(), commit, runtime, majors, home);
    }

    /** The majors with a {@code <major>/walden_archive.so}, ascending. */
    private static List<Integer> archiveModuleMajors(Path modules) {
        List<Integer> majors = new ArrayList<>();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(modules)) {
            for (Path dir : dirs) {
                String name = dir.getFileName().toString();
                if (name.matches("[0-9]{2}") && Files.isRegularFile(dir.resolve("walden_archive.so"))) {
                    majors.add(Integer.parseInt(name));
                }
            }
        } catch (IOException e) {
            return List.of(); // none built (no compiler or no server headers at build time)
        }
        majors.sort(null);
        return majors;
    }

    String[] lines() {
        List<String> lines = new ArrayList<>();
        lines.add("walden " + version + " (commit " + commit + ")");
        lines.add("runtime: " + runtime);
        lines.add("archive module (archive_library) built for PostgreSQL: " + (archiveModuleMajors.isEmpty() ? "none"
                : String.join(", ", archiveModuleMajors.stream().map(String::valueOf).toList())));
        home.ifPresent(h -> lines.add("installed in: " + h));
        return lines.toArray(String[]::new);
    }
}
