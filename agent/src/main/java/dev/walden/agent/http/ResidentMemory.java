package dev.walden.agent.http;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * {@code process_resident_memory_bytes}: the agent's resident set size, the figure the kernel's
 * OOM killer and a container's memory limit look at (the JVM's own meters see only its heap and
 * pools). Read from {@code /proc/self/status} (VmRSS), so it exists on Linux only; elsewhere the
 * gauge is not registered at all rather than reporting a made-up value.
 */
final class ResidentMemory implements MeterBinder {
    private final Path status;

    ResidentMemory() {
        this(Path.of("/proc/self/status"));
    }

    ResidentMemory(Path status) {
        this.status = status;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        if (read().isEmpty()) {
            return;
        }
        Gauge.builder("process.resident.memory", this, r -> r.read().stream().mapToDouble(v -> v).findFirst()
                        .orElse(Double.NaN))
                .baseUnit("bytes").description("resident set size of the agent process (VmRSS)")
                .strongReference(true) // nobody else holds this binder; a gauge's weak reference would read NaN
                .register(registry);
    }

    /** VmRSS in bytes, if the file has it. */
    OptionalLong read() {
        try {
            for (String line : Files.readAllLines(status)) {
                if (line.startsWith("VmRSS:")) {
                    String[] parts = line.substring("VmRSS:".length()).strip().split("\\s+");
                    long value = Long.parseLong(parts[0]);
                    return OptionalLong.of(parts.length > 1 && parts[1].equalsIgnoreCase("kB") ? value * 1024 : value);
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or a kernel without VmRSS: no such figure here
        }
        return OptionalLong.empty();
    }
}
