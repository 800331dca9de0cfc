package dev.walden.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * What native/build.sh promises about the binaries it ships, read back from the ELF files with
 * readelf (binutils, which gcc brings): walden-push is a position-independent executable linked
 * statically (the default: no program interpreter, so no libc.so to load per call; dynamically
 * when the build ran with WALDEN_NATIVE_LINK=dynamic, which this test then sees too), with full
 * RELRO and a non-executable stack; every archive module has full RELRO and a non-executable
 * stack. A dropped hardening flag or a silent fall-back to dynamic linking fails here.
 */
class NativeHardeningIT {
    private static String readelf(Path file, String option) throws IOException, InterruptedException {
        Installation.Run run = Installation.run(Path.of("/"), "readelf", "-W", option, file.toString());
        assertEquals(0, run.exit(), run.toString());
        return run.stdout();
    }

    private static void assertFullRelroAndNoExecutableStack(Path file) throws IOException, InterruptedException {
        String segments = readelf(file, "--program-headers");
        assertTrue(segments.contains("GNU_RELRO"), file + ": no RELRO segment\n" + segments);
        String stack = segments.lines().filter(l -> l.trim().startsWith("GNU_STACK")).findFirst()
                .orElseThrow(() -> new AssertionError(file + ": no GNU_STACK header\n" + segments));
        assertTrue(stack.trim().matches(".*\\sRW\\s+0x\\p{XDigit}+"),
                file + ": the stack must be RW, not executable: " + stack);
        String dynamic = readelf(file, "--dynamic");
        assertTrue(dynamic.contains("BIND_NOW") || dynamic.matches("(?s).*FLAGS_1\\).*\\bNOW\\b.*"),
                file + ": not linked with -z now (full RELRO)\n" + dynamic);
    }

    @Test
    void waldenPushIsAStaticPieWithFullRelroAndNoExecutableStack() throws Exception {
        Path push = Installation.HOME.resolve("bin/walden-push");
        String header = readelf(push, "--file-header");
        assertTrue(header.matches("(?s).*Type:\\s+DYN .*"), push + " must be position-independent (PIE)\n" + header);
        String segments = readelf(push, "--program-headers");
        if ("dynamic".equals(System.getenv("WALDEN_NATIVE_LINK"))) {
            assertTrue(segments.contains("INTERP"), push + " was to be linked dynamically\n" + segments);
        } else {
            assertFalse(segments.contains("INTERP"), push + " must be linked statically (the default; "
                    + "WALDEN_NATIVE_LINK=dynamic opts out), but it asks for a program interpreter\n" + segments);
        }
        assertFullRelroAndNoExecutableStack(push);
    }

    @Test
    void everyArchiveModuleHasFullRelroAndNoExecutableStack() throws Exception {
        List<Path> modules;
        try (Stream<Path> files = Files.walk(Installation.HOME.resolve("lib/postgresql"))) {
            modules = files.filter(p -> p.getFileName().toString().equals("walden_archive.so")).toList();
        }
        assertFalse(modules.isEmpty(), "no walden_archive.so under lib/postgresql");
        for (Path module : modules) {
            assertFullRelroAndNoExecutableStack(module);
        }
    }
}
