package dev.walden.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.walden.cli.recovery.FetchCommand;
import dev.walden.config.ConfigKey;
import dev.walden.config.ConfigKeys;
import dev.walden.protocol.ErrorCode;
import dev.walden.protocol.FrameCodec;
import dev.walden.protocol.FrameType;
import dev.walden.protocol.PushRequest;
import dev.walden.push.WaldenPush;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * native/src/walden_protocol.h against the Java definitions it copies: any constant that differs,
 * is missing or is extra fails the build, so the C clients can't drift from the protocol.
 */
class NativeProtocolHeaderTest {
    private static final Path HEADER = Path.of("../native/src/walden_protocol.h");
    private static final Pattern DEFINE = Pattern.compile("^#define (WALDEN_\\w+) (.+)$", Pattern.MULTILINE);
    private static String text;
    private static Map<String, String> defines;

    @BeforeAll
    static void read() throws IOException {
        // the header's multi-line macros: joined at their backslashes
        text = Files.readString(HEADER).replaceAll("\\\\\n\\s*", " ");
        defines = new LinkedHashMap<>();
        Matcher m = DEFINE.matcher(text);
        while (m.find()) {
            defines.put(m.group(1), m.group(2).strip());
        }
    }

    private static long number(String name) {
        String value = defines.get(name);
        assertNotNull(value, HEADER + " has no " + name);
        return Long.decode(value);
    }

    private static List<String> strings(String name) {
        String value = defines.get(name);
        assertNotNull(value, HEADER + " has no " + name);
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile("\"([^\"]*)\"").matcher(value);
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    @Test
    void framing() {
        assertEquals(FrameCodec.MAGIC_0, number("WALDEN_MAGIC_0"));
        assertEquals(FrameCodec.MAGIC_1, number("WALDEN_MAGIC_1"));
        assertEquals(FrameCodec.VERSION, number("WALDEN_PROTOCOL_VERSION"));
        assertEquals(FrameCodec.HEADER_LENGTH, number("WALDEN_HEADER_LENGTH"));
        assertEquals(FrameCodec.MAX_BODY_LENGTH, number("WALDEN_MAX_BODY_LENGTH"));
        assertEquals(PushRequest.MAX_PATH_BYTES, number("WALDEN_MAX_PATH_BYTES"));
    }

    @Test
    void everyFrameTypeAndNoOther() {
        Map<String, Long> java = new TreeMap<>();
        for (FrameType type : FrameType.values()) {
            java.put("WALDEN_FRAME_" + type.name(), (long) type.code());
        }
        Map<String, Long> c = new TreeMap<>();
        defines.keySet().stream().filter(k -> k.startsWith("WALDEN_FRAME_")).forEach(k -> c.put(k, number(k)));
        assertEquals(java, c);
    }

    @Test
    void everyErrorCodeWithItsNameAndNoOther() {
        Map<Integer, String> java = new TreeMap<>();
        for (ErrorCode code : ErrorCode.values()) {
            java.put(code.code(), code.wireName());
        }
        Map<Integer, String> c = new TreeMap<>();
        String list = text.substring(text.indexOf("#define WALDEN_ERROR_CODES(X)"));
        list = list.substring(0, list.indexOf('\n'));
        Matcher m = Pattern.compile("X\\((\\d+), \"(\\w+)\"\\)").matcher(list);
        while (m.find()) {
            c.put(Integer.parseInt(m.group(1)), m.group(2));
        }
        assertEquals(java, c);
    }

    @Test
    void exitCodesOfWaldenPush() throws IllegalAccessException {
        Map<String, Long> java = new TreeMap<>();
        for (Field field : WaldenPush.class.getFields()) {
            if (Modifier.isStatic(field.getModifiers()) && field.getType() == int.class) {
                java.put("WALDEN_EXIT_" + field.getName(), (long) field.getInt(null));
            }
        }
        Map<String, Long> c = new TreeMap<>();
        defines.keySet().stream().filter(k -> k.startsWith("WALDEN_EXIT_")).forEach(k -> c.put(k, number(k)));
        assertEquals(java, c);
    }

    @Test
    void exitCodesOfWaldenFetchAreWaldenFetchs() {
        assertEquals(FetchCommand.NOT_FOUND, number("WALDEN_FETCH_EXIT_NOT_FOUND"));
        assertEquals(FetchCommand.USAGE, number("WALDEN_FETCH_EXIT_USAGE"));
        assertEquals(FetchCommand.IO_ERROR, number("WALDEN_FETCH_EXIT_IO_ERROR"));
        assertEquals(FetchCommand.CORRUPT, number("WALDEN_FETCH_EXIT_CORRUPT"));
        assertEquals(List.of(ConfigKeys.FETCH_TIMEOUT.name()), strings("WALDEN_KEY_FETCH_TIMEOUT"));
        assertEquals(List.of(ConfigKeys.FETCH_TIMEOUT.defaultValue()), strings("WALDEN_DEFAULT_FETCH_TIMEOUT"));
    }

    @Test
    void configurationKeysAndReservedVariables() {
        assertEquals(ConfigKeys.ALL.stream().map(ConfigKey::name).toList(), strings("WALDEN_CONFIG_KEYS"));
        assertEquals(ConfigKeys.RESERVED_ENVIRONMENT, strings("WALDEN_RESERVED_ENVIRONMENT"));
        assertEquals(List.of(ConfigKeys.DEFAULT_CONFIG_FILE), strings("WALDEN_DEFAULT_CONFIG_FILE"));
        assertEquals(List.of(ConfigKeys.AGENT_SOCKET.name()), strings("WALDEN_KEY_AGENT_SOCKET"));
        assertEquals(List.of(ConfigKeys.PUSH_TIMEOUT.name()), strings("WALDEN_KEY_PUSH_TIMEOUT"));
        assertEquals(List.of(ConfigKeys.PUSH_TIMEOUT.defaultValue()), strings("WALDEN_DEFAULT_PUSH_TIMEOUT"));
    }
}
