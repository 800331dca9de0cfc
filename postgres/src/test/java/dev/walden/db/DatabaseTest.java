package dev.walden.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a failed connection says: the socket or host really tried, and the reason pgjdbc would hide. */
class DatabaseTest {
    @TempDir
    Path dir;

    private ConnectionSettings socketIn(Path directory) {
        return ConnectionSettings.resolve(Map.of("DB_HOST", directory.toString(), "DB_PORT", "5999",
                "DB_USER", "postgres", "DB_NAME", "shop"), Map.of(), "osuser");
    }

    @Test
    void noServerSocketNamesTheSocketFileAndWhyNotTheUrl() {
        SQLException e = assertThrows(SQLException.class, () -> Database.connect(socketIn(dir), Duration.ofSeconds(5)));
        assertEquals("cannot connect to PostgreSQL on socket '" + dir + "/.s.PGSQL.5999' as 'postgres' (database "
                + "'shop'): No such file or directory", e.getMessage());
    }

    @Test
    void aSocketFileNobodyListensOnIsRefused() throws Exception {
        Path socket = dir.resolve(".s.PGSQL.5999");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket)); // closing leaves the file, as a crashed server does
        }
        SQLException e = assertThrows(SQLException.class, () -> Database.connect(socketIn(dir), Duration.ofSeconds(5)));
        assertEquals("cannot connect to PostgreSQL on socket '" + socket + "' as 'postgres' (database 'shop'): "
                + "Connection refused", e.getMessage());
    }

    @Test
    void aHostThatDoesNotResolveIsNamed() {
        ConnectionSettings settings = ConnectionSettings.resolve(Map.of("DB_HOST", "no-such-host.invalid",
                "DB_USER", "app"), Map.of(), "osuser");
        SQLException e = assertThrows(SQLException.class, () -> Database.connect(settings, Duration.ofSeconds(5)));
        assertEquals("cannot connect to PostgreSQL at 'no-such-host.invalid:5432' as 'app' (database 'app'): "
                + "unknown host 'no-such-host.invalid'", e.getMessage());
    }
}
