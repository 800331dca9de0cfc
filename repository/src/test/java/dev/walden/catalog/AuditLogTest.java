package dev.walden.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.storage.posix.PosixStorage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuditLogTest {
    @TempDir
    Path dir;

    @Test
    void entriesAreAddedNeverReplacedAndReadBackInOrderFromAnInstant() throws Exception {
        try (PosixStorage storage = new PosixStorage(dir)) {
            AuditLog log = new AuditLog(storage);
            Instant t0 = Instant.parse("2026-12-01T03:00:00Z");
            Clock clock = Clock.fixed(t0.plusSeconds(90), ZoneOffset.UTC);
            log.append(AuditLog.entry("restore", "shop_copy", true, "from latest:shop", t0, clock, "command"));
            log.append(AuditLog.entry("backup", "20261201T040000Z", false, "disk full", t0.plusSeconds(3600), clock,
                    "schedule"));
            // the same instant and action twice (two hosts, or a retry) are two entries, not one
            log.append(AuditLog.entry("restore", "shop_copy", true, "again", t0, clock, "command"));

            List<AuditLog.Entry> all = log.read(Optional.empty());
            assertEquals(3, all.size());
            assertEquals(List.of("restore", "restore", "backup"), all.stream().map(AuditLog.Entry::action).toList());
            AuditLog.Entry first = all.get(0);
            assertEquals(90.0, first.durationSeconds());
            assertEquals(System.getProperty("user.name"), first.user());
            assertEquals(ProcessHandle.current().pid(), first.pid());
            assertTrue(first.ok());
            assertFalse(all.get(2).ok());
            assertEquals("failed", all.get(2).result());

            List<AuditLog.Entry> later = log.read(Optional.of(t0.plusSeconds(60)));
            assertEquals(List.of("backup"), later.stream().map(AuditLog.Entry::action).toList());
        }
    }

    @Test
    void aRefusalIsNeitherOkNorFailedAndKeepsItsReason() throws Exception {
        try (PosixStorage storage = new PosixStorage(dir)) {
            AuditLog log = new AuditLog(storage);
            Instant t0 = Instant.parse("2026-12-01T03:00:00Z");
            log.append(AuditLog.refused("restore", "postgres on postgresql://app@localhost:5432/postgres",
                    "'postgres' is the maintenance database", t0, Clock.fixed(t0.plusSeconds(1), ZoneOffset.UTC),
                    "command"));
            AuditLog.Entry refused = log.read(Optional.empty()).get(0);
            assertEquals("refused", refused.result());
            assertFalse(refused.ok());
            assertEquals("'postgres' is the maintenance database", refused.detail());
            assertEquals(System.getProperty("user.name"), refused.user());
            assertEquals(1.0, refused.durationSeconds());
        }
    }

    @Test
    void aDamagedEntryIsNamed() throws Exception {
        try (PosixStorage storage = new PosixStorage(dir)) {
            AuditLog log = new AuditLog(storage);
            log.append(AuditLog.entry("dump", "shop", true, null, Instant.now(), Clock.systemUTC(), "command"));
            Path entry;
            try (var files = Files.list(dir.resolve("audit"))) {
                entry = files.filter(p -> p.toString().endsWith(".json")).findFirst().orElseThrow();
            }
            Files.writeString(entry, "{not json");
            java.io.IOException e = org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class,
                    () -> log.read(Optional.empty()));
            assertTrue(e.getMessage().startsWith("audit entry 'audit/" + entry.getFileName() + "' is not valid JSON"),
                    e.getMessage());
        }
    }

    @Test
    void aFailedAppendIsAWarningNotAnError() throws Exception {
        List<String> warnings = new ArrayList<>();
        Path gone = dir.resolve("unmounted");
        PosixStorage storage;
        Files.createDirectories(gone);
        storage = new PosixStorage(gone);
        Files.delete(gone);
        try (storage) {
            boolean added = new AuditLog(storage).tryAppend(AuditLog.entry("expire", "posix:" + gone, true, "nothing",
                    Instant.now(), Clock.systemUTC(), "schedule"), warnings::add);
            assertFalse(added);
            assertEquals(1, warnings.size());
            assertTrue(warnings.get(0).startsWith("could not add expire of posix:" + gone + " to the audit log in "),
                    warnings.get(0));
        }
    }
}
