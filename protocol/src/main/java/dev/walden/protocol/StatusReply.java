package dev.walden.protocol;

import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** The OK reply to STATUS: ordered {@code key=value} lines, UTF-8. */
public record StatusReply(Map<String, String> values) {
    public StatusReply {
        values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    }

    public Frame toFrame() {
        StringBuilder sb = new StringBuilder();
        values.forEach((key, value) -> sb.append(key).append('=').append(ErrorReply.oneLine(value)).append('\n'));
        return new Frame(FrameType.OK, sb.toString().getBytes(StandardCharsets.UTF_8));
    }

    public static StatusReply fromFrame(Frame frame) throws ProtocolException {
        if (frame.type() != FrameType.OK) {
            throw new ProtocolException(ErrorCode.BAD_REQUEST, "expected an OK frame, got " + frame.type());
        }
        Map<String, String> values = new LinkedHashMap<>();
        for (String line : frame.bodyText().split("\n")) {
            if (line.isEmpty()) {
                continue;
            }
            int eq = line.indexOf('=');
            if (eq <= 0) {
                throw new ProtocolException(ErrorCode.BAD_FRAME, "status line without a key: " + line);
            }
            values.put(line.substring(0, eq), line.substring(eq + 1));
        }
        return new StatusReply(values);
    }
}
