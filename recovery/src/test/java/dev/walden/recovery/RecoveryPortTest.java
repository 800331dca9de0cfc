package dev.walden.recovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.db.ConnectionSettings;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real sockets: the checks bind as PostgreSQL will. */
class RecoveryPortTest {
    @TempDir
    Path pgdata;

    private static ConnectionSettings productionOn(int port) {
        return ConnectionSettings.resolve(Map.of("PGPORT", Integer.toString(port)), Map.of(), "postgres");
    }

    @Test
    void notAPortNumber() {
        for (int port : new int[] {0, -5, 70000}) {
            RefusedException e = assertThrows(RefusedException.class,
                    () -> RecoveryPort.check(port, pgdata, productionOn(5432)));
            assertEquals("port " + port + " is not a port number (1-65535)", e.getMessage());
        }
    }

    @Test
    void productionsPortFromTheConnectionSettingsOrItsPidFile() throws Exception {
        RefusedException configured = assertThrows(RefusedException.class,
                () -> RecoveryPort.check(6543, pgdata, productionOn(6543)));
        assertTrue(configured.getMessage().startsWith("port 6543 is production's (DB_PORT, DATABASE_URL or PGPORT"),
                configured.getMessage());
        // postmaster.pid: pid, data directory, start time, port, socket directory, ...
        Files.writeString(pgdata.resolve("postmaster.pid"), "4242\n" + pgdata + "\n1764000000\n6544\n/tmp\n*\n");
        RefusedException running = assertThrows(RefusedException.class,
                () -> RecoveryPort.check(6544, pgdata, productionOn(6543)));
        assertEquals("port 6544 is production's (in '" + pgdata.resolve("postmaster.pid") + "'); give the recovered "
                + "cluster a port of its own (--port, or none for a free one)", running.getMessage());
    }

    @Test
    void aPortSomethingListensOn() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            int port = taken.getLocalPort();
            RefusedException e = assertThrows(RefusedException.class,
                    () -> RecoveryPort.check(port, pgdata, productionOn(5432)));
            assertEquals("port " + port + " is in use on this host; choose another (--port, or none for a free one)",
                    e.getMessage());
            int free = RecoveryPort.choose(Optional.empty(), pgdata, productionOn(5432));
            assertNotEquals(port, free);
            RecoveryPort.check(free, pgdata, productionOn(5432)); // what it chose passes its own checks
        }
    }
}
