package dev.walden.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class BackupRequestTest {
    @Test
    void theTypeTravelsAndAnOldBodyAsksForAFullBackup() throws ProtocolException {
        BackupRequest incr = BackupRequest.fromFrame(new BackupRequest("incr", "walden backup by alice").toFrame());
        assertEquals(new BackupRequest("incr", "walden backup by alice"), incr);
        assertEquals(new BackupRequest("full", "walden backup by bob (pid 1)"),
                BackupRequest.fromFrame(body("walden backup by bob (pid 1)")));
        assertEquals(new BackupRequest("full", ""), BackupRequest.fromFrame(body("")));
    }

    @Test
    void anUnknownTypeIsABadRequestAndTheRequesterStaysOneShortLine() throws ProtocolException {
        ProtocolException e = assertThrows(ProtocolException.class,
                () -> BackupRequest.fromFrame(body("type=diff\nsomeone")));
        assertEquals(ErrorCode.BAD_REQUEST, e.code());
        assertEquals("a b", BackupRequest.fromFrame(body("type=full\na\nb")).requester());
        assertEquals(200, BackupRequest.fromFrame(body("x".repeat(500))).requester().length());
    }

    private static Frame body(String text) {
        return new Frame(FrameType.BACKUP, text.getBytes(StandardCharsets.UTF_8));
    }
}
