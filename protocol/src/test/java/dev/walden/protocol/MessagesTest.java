package dev.walden.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MessagesTest {

    @Test
    void pushRequestRoundTrips() throws Exception {
        assertEquals("/data/pg_wal/000000010000000000000001",
                PushRequest.fromFrame(new PushRequest("/data/pg_wal/000000010000000000000001").toFrame()).path());
    }

    @Test
    void pushRequestRefusesEmptyNulInvalidUtf8AndOverlongPaths() {
        assertEquals("PUSH without a path", assertThrows(ProtocolException.class,
                () -> PushRequest.fromFrame(Frame.of(FrameType.PUSH))).getMessage());
        assertEquals("PUSH path contains a NUL byte", assertThrows(ProtocolException.class,
                () -> PushRequest.fromFrame(new Frame(FrameType.PUSH, new byte[] {'/', 0, 'x'}))).getMessage());
        assertEquals("PUSH path is not valid UTF-8", assertThrows(ProtocolException.class,
                () -> PushRequest.fromFrame(new Frame(FrameType.PUSH, new byte[] {'/', (byte) 0xC3}))).getMessage());
        ProtocolException tooLong = assertThrows(ProtocolException.class,
                () -> PushRequest.fromFrame(new Frame(FrameType.PUSH, new byte[PushRequest.MAX_PATH_BYTES + 1])));
        assertEquals(ErrorCode.BAD_REQUEST, tooLong.code());
    }

    @Test
    void fetchNoticeRoundTripsAsNameSpaceResult() throws Exception {
        FetchNotice notice = new FetchNotice("000000010000000000000003", FetchNotice.Result.MISSING);
        assertEquals("000000010000000000000003 missing", notice.toFrame().bodyText());
        assertEquals(FrameType.FETCHED, notice.toFrame().type());
        assertEquals(notice, FetchNotice.fromFrame(notice.toFrame()));
        assertEquals(FetchNotice.Result.FAILED,
                FetchNotice.fromFrame(new FetchNotice("00000002.history", FetchNotice.Result.FAILED).toFrame()).result());
    }

    @Test
    void fetchNoticeRefusesMalformedBodies() {
        for (String body : new String[] {"", "000000010000000000000003", "000000010000000000000003 lost",
                " found", "0000000100000000000000\u00e903 found", "a b found", "x".repeat(256) + " found"}) {
            ProtocolException e = assertThrows(ProtocolException.class, () -> FetchNotice.fromFrame(
                    new Frame(FrameType.FETCHED, body.getBytes(StandardCharsets.UTF_8))), body);
            assertEquals(ErrorCode.BAD_REQUEST, e.code(), body);
        }
        assertEquals(ErrorCode.BAD_REQUEST, assertThrows(ProtocolException.class, () -> FetchNotice.fromFrame(
                new Frame(FrameType.FETCHED, new byte[] {'a', ' ', (byte) 0xC3}))).code());
        assertThrows(IllegalArgumentException.class, () -> new FetchNotice("a b", FetchNotice.Result.FOUND));
    }

    @Test
    void errorCodeWireNamesAreTheDocumentedNames() {
        assertEquals("storage_timeout", ErrorCode.STORAGE_TIMEOUT.wireName());
        assertEquals("duplicate_differs", ErrorCode.DUPLICATE_DIFFERS.wireName());
    }

    @Test
    void errorReplyCarriesCodeAndOneLineMessage() throws Exception {
        ErrorReply reply = new ErrorReply(ErrorCode.BAD_NAME, "'x' is not\na WAL file name\r\n");
        ErrorReply decoded = ErrorReply.fromFrame(reply.toFrame());
        assertEquals(ErrorCode.BAD_NAME, decoded.knownCode());
        assertEquals("'x' is not a WAL file name", decoded.message());
    }

    @Test
    void errorReplyKeepsCodesThisVersionDoesNotKnow() throws Exception {
        ErrorReply decoded = ErrorReply.fromFrame(new Frame(FrameType.ERROR,
                new byte[] {0x12, 0x34, 'h', 'i'}));
        assertEquals(0x1234, decoded.code());
        assertNull(decoded.knownCode());
        assertEquals("hi", decoded.message());
    }

    @Test
    void errorReplyWithoutCodeIsMalformed() {
        assertEquals(ErrorCode.BAD_FRAME, assertThrows(ProtocolException.class,
                () -> ErrorReply.fromFrame(new Frame(FrameType.ERROR, new byte[] {1}))).code());
    }

    @Test
    void statusReplyRoundTripsInOrder() throws Exception {
        Map<String, String> values = new LinkedHashMap<>();
        values.put("version", "1");
        values.put("last_archived", "000000010000000000000003");
        values.put("note", "a=b");
        assertEquals(values, StatusReply.fromFrame(new StatusReply(values).toFrame()).values());
        assertEquals(ErrorCode.BAD_FRAME, assertThrows(ProtocolException.class, () -> StatusReply.fromFrame(
                new Frame(FrameType.OK, "no equals sign".getBytes(StandardCharsets.UTF_8)))).code());
    }

    @Test
    void everyErrorCodeHasAUniqueNumber() {
        assertEquals(ErrorCode.values().length, java.util.Arrays.stream(ErrorCode.values())
                .mapToInt(ErrorCode::code).distinct().count());
        for (ErrorCode code : ErrorCode.values()) {
            assertEquals(code, ErrorCode.fromCode(code.code()));
        }
    }
}
