package dev.walden.agent.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.walden.db.ConnectionSettings;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The database probe's log against a server that is not there (a real, failing socket connection):
 * one WARN when the database stops answering, not one per probe. That it logs its return is
 * proven against a real server stopped and started again, in HttpEndpointIT.
 */
class DatabaseProbeTest {
    @TempDir
    Path dir;

    @Test
    void aDatabaseThatDoesNotAnswerIsLoggedOnceNotAtEveryProbe() {
        List<LogRecord> records = new CopyOnWriteArrayList<>();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord r) {
                records.add(r);
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        Logger logger = Logger.getLogger(DatabaseProbe.class.getName());
        logger.addHandler(capture);
        try {
            ConnectionSettings nowhere = ConnectionSettings.resolve(Map.of("PGHOST", dir.toString(), "PGUSER",
                    "postgres"), Map.of(), "nobody");
            DatabaseProbe probe = new DatabaseProbe(nowhere, Clock.systemUTC());
            for (int i = 0; i < 3; i++) {
                probe.probe();
            }
            List<LogRecord> warnings = records.stream().filter(r -> r.getLevel() == Level.WARNING).toList();
            assertEquals(1, warnings.size(), records.stream().map(LogRecord::getMessage).toList().toString());
            assertEquals("PostgreSQL on socket '" + dir + "/.s.PGSQL.5432' as 'postgres' (database 'postgres') does not "
                    + "answer: No such file or directory; /health answers 503 until it does", warnings.get(0).getMessage());
            assertEquals(1, records.size(), "and nothing else");
        } finally {
            logger.removeHandler(capture);
        }
    }
}
