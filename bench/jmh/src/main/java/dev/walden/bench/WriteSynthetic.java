package dev.walden.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Writes {@link PipelineBenchmark#synthetic()} to a file, so the CLI tools measure the same bytes. */
public final class WriteSynthetic {
    private WriteSynthetic() {
    }

    public static void main(String[] args) throws IOException {
        Files.write(Path.of(args[0]), PipelineBenchmark.synthetic());
    }
}
