package dev.walden.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConnectionSettingsTest {
    @TempDir
    Path dir;

    @Test
    void libpqDefaultsWhenNothingIsSet() {
        ConnectionSettings s = ConnectionSettings.resolve(Map.of(), Map.of(), "postgres");
        assertTrue(s.host().isEmpty());
        assertEquals(5432, s.port());
        assertEquals("postgres", s.user());
        assertEquals("postgres", s.database());
        assertTrue(s.usesUnixSocket());
    }

    @Test
    void databaseUrlOverridesPgVariablesAndDbVariablesOverrideTheUrl() {
        Map<String, String> env = Map.of(
                "PGHOST", "pghost", "PGPORT", "5000", "PGUSER", "pguser", "PGDATABASE", "pgdb",
                "DATABASE_URL", "postgres://app%40corp:s3cr%3At@db.example:6543/shop?sslmode=require",
                "DB_NAME", "shop_reporting");
        ConnectionSettings s = ConnectionSettings.resolve(env, Map.of(), "osuser");
        assertEquals("db.example", s.host().orElseThrow());
        assertEquals(6543, s.port());
        assertEquals("app@corp", s.user());
        assertEquals("shop_reporting", s.database());
        Map<String, String> libpq = s.libpqEnvironment();
        assertEquals("s3cr:t", libpq.get("PGPASSWORD"), "decoded, and only in the environment");
        assertEquals("require", libpq.get("PGSSLMODE"));
        assertEquals("shop_reporting", libpq.get("PGDATABASE"));
        env = Map.of("DATABASE_URL", "postgresql://u@h/d", "DB_HOST", "other", "DB_PORT", "7000", "DB_USER", "x");
        s = ConnectionSettings.resolve(env, Map.of(), "osuser");
        assertEquals("other", s.host().orElseThrow());
        assertEquals(7000, s.port());
        assertEquals("x", s.user());
        assertEquals("d", s.database());
    }

    @Test
    void theEnvironmentWinsOverTheDotEnvFile() throws Exception {
        Path file = Files.writeString(dir.resolve(".env"), """
                # the scripts' .env
                export DATABASE_URL="postgres://fromfile@filehost:5433/filedb"
                DB_USER='fileuser'
                """);
        Map<String, String> dotEnv = DotEnv.read(file);
        ConnectionSettings s = ConnectionSettings.resolve(Map.of("DB_USER", "envuser"), dotEnv, "osuser");
        assertEquals("filehost", s.host().orElseThrow());
        assertEquals(5433, s.port());
        assertEquals("envuser", s.user());
        assertEquals("filedb", s.database());
        assertEquals(Map.of(), DotEnv.read(dir.resolve("missing.env")));
    }

    @Test
    void hostsWithUnderscoresAndPasswordsWithReservedCharactersAreNotLost() {
        // java.net.URI drops the whole authority for both of these
        ConnectionSettings compose = ConnectionSettings.resolve(
                Map.of("DATABASE_URL", "postgres://app:s3cret@db_primary:5432/app"), Map.of(), "osuser");
        assertEquals("db_primary", compose.host().orElseThrow());
        assertEquals("app", compose.user());
        assertEquals("s3cret", compose.libpqEnvironment().get("PGPASSWORD"));
        ConnectionSettings odd = ConnectionSettings.resolve(
                Map.of("DATABASE_URL", "postgresql://app:pa#ss/w?rd+@[::1]:6432/my%20db?sslmode=verify-full"),
                Map.of(), "osuser");
        assertEquals("pa#ss/w?rd+", odd.libpqEnvironment().get("PGPASSWORD"));
        assertEquals("::1", odd.host().orElseThrow());
        assertEquals(6432, odd.port());
        assertEquals("my db", odd.database());
        assertEquals("verify-full", odd.libpqEnvironment().get("PGSSLMODE"));
        ConnectionSettings socket = ConnectionSettings.resolve(
                Map.of("DATABASE_URL", "postgres:///shop?host=/var/run/postgresql"), Map.of(), "osuser");
        assertEquals("/var/run/postgresql", socket.host().orElseThrow());
        assertEquals("shop", socket.database());
        assertEquals("osuser", socket.user());
    }

    @Test
    void thePasswordNeverShowsInWhatIsPrinted() {
        ConnectionSettings s = ConnectionSettings.resolve(
                Map.of("DATABASE_URL", "postgres://app:hunter2@db:5432/shop"), Map.of(), "osuser");
        assertTrue(s.hasPassword());
        assertEquals("postgresql://app@db:5432/shop", s.toString());
        assertFalse(s.displayUrl().contains("hunter2"));
        ConnectionSettings socket = ConnectionSettings.resolve(Map.of("PGHOST", "/var/run/postgresql"), Map.of(), "pg");
        assertEquals("postgresql://pg@localhost:5432/pg?host=/var/run/postgresql", socket.displayUrl());
    }

    @Test
    void whatIsPrintedIsWhatIsTriedTheDefaultSocketIncluded() {
        ConnectionSettings none = ConnectionSettings.resolve(Map.of(), Map.of(), "postgres");
        assertEquals("/var/run/postgresql", none.socketDirectory().orElseThrow());
        assertEquals("PostgreSQL on socket '/var/run/postgresql/.s.PGSQL.5432' as 'postgres' (database 'postgres')",
                none.describe());
        assertEquals("postgresql://postgres@localhost:5432/postgres?host=/var/run/postgresql", none.displayUrl(),
                "psql reaches the same socket with it; without ?host= it would go over TCP to localhost");
        ConnectionSettings dir = ConnectionSettings.resolve(Map.of("DB_HOST", "/tmp/pg/", "DB_PORT", "6000",
                "DB_USER", "app", "DB_NAME", "shop"), Map.of(), "osuser");
        assertEquals("PostgreSQL on socket '/tmp/pg/.s.PGSQL.6000' as 'app' (database 'shop')", dir.describe());
        ConnectionSettings tcp = ConnectionSettings.resolve(
                Map.of("DATABASE_URL", "postgres://app:hunter2@db.example.com:6432/shop"), Map.of(), "osuser");
        assertTrue(tcp.socketDirectory().isEmpty());
        assertEquals("PostgreSQL at 'db.example.com:6432' as 'app' (database 'shop')", tcp.describe());
    }

    @Test
    void malformedValuesNameTheirSource() {
        IllegalArgumentException url = assertThrows(IllegalArgumentException.class,
                () -> ConnectionSettings.resolve(Map.of("DATABASE_URL", "mysql://x/y"), Map.of(), "u"));
        assertEquals("DATABASE_URL must start with postgres:// or postgresql://", url.getMessage());
        IllegalArgumentException port = assertThrows(IllegalArgumentException.class,
                () -> ConnectionSettings.resolve(Map.of("DB_PORT", "fivefourthreetwo"), Map.of(), "u"));
        assertTrue(port.getMessage().startsWith("port 'fivefourthreetwo'"), port.getMessage());
    }
}
