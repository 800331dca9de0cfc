package dev.walden.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class FetchRequestTest {
    private static Frame frame(String body) {
        return new Frame(FrameType.FETCH, body.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aFetchCarriesTheNameAndTheAbsolutePath() throws Exception {
        FetchRequest request = new FetchRequest("000000010000000000000003", "/srv/pg/data/pg_wal/RECOVERYXLOG");
        assertEquals(request, FetchRequest.fromFrame(request.toFrame()));
        assertEquals("000000010000000000000003\n/srv/pg/data/pg_wal/RECOVERYXLOG",
                new String(request.toFrame().body(), StandardCharsets.UTF_8));
    }

    @Test
    void aMalformedBodyIsABadRequestNamingWhy() {
        for (String body : new String[] {"", "name-only", "\n/path", "name\n", "a\nb\nc", "n\u0000x\n/p",
                "x".repeat(65) + "\n/p"}) {
            ProtocolException e = assertThrows(ProtocolException.class, () -> FetchRequest.fromFrame(frame(body)),
                    body);
            assertEquals(ErrorCode.BAD_REQUEST, e.code(), body);
            assertTrue(e.getMessage().startsWith("FETCH "), e.getMessage());
        }
        ProtocolException notUtf8 = assertThrows(ProtocolException.class, () -> FetchRequest.fromFrame(
                new Frame(FrameType.FETCH, new byte[] {'a', '\n', (byte) 0xC3, (byte) 0x28})));
        assertEquals("FETCH body is not valid UTF-8", notUtf8.getMessage());
    }
}
