package dev.walden.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.walden.storage.MemoryStorage;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link KmsKeyProtector} against an in-process stand-in for AWS KMS ({@link KmsStandIn}), never
 * the real endpoint. The client is built the way production builds it, through
 * {@link KeySource.Kms#protector}, with credentials from the SDK's default chain (system
 * properties, as the S3 tests give them).
 */
class KmsKeyProtectorTest {
    private static final String KEY_A = "1234abcd-12ab-34cd-56ef-1234567890ab";
    private static final String KEY_B = "0987dcba-09fe-87dc-65ba-ab0987654321";
    private static final String ACCESS_KEY = "walden-kms-test-access";
    private static final String SECRET_KEY = "walden-kms-test-secret-0123456789";
    private static final ObjectMapper JSON = new ObjectMapper();

    private static final Map<String, String> savedProperties = new TreeMap<>();

    private KmsStandIn kms;

    @BeforeAll
    static void credentials() {
        for (String name : List.of("aws.accessKeyId", "aws.secretAccessKey")) {
            String value = System.getProperty(name);
            if (value != null) {
                savedProperties.put(name, value);
            }
        }
        System.setProperty("aws.accessKeyId", ACCESS_KEY);
        System.setProperty("aws.secretAccessKey", SECRET_KEY);
    }

    @AfterAll
    static void clearCredentials() {
        System.clearProperty("aws.accessKeyId");
        System.clearProperty("aws.secretAccessKey");
        savedProperties.forEach(System::setProperty);
        savedProperties.clear();
    }

    @BeforeEach
    void startKms() throws IOException {
        kms = KmsStandIn.start(KEY_A, KEY_B);
    }

    @AfterEach
    void stopKms() {
        kms.close();
    }

    private static KeySource.Kms source(String keyId, URI endpoint) {
        return new KeySource.Kms(keyId, Optional.of("us-east-1"), Optional.of(endpoint));
    }

    private KeyProtector protector(String keyId) {
        return source(keyId, kms.endpoint()).protector(null);
    }

    @Test
    void generatesAnAes256DataKeyUnderTheWaldenContextAndOpensItAgain() throws IOException {
        KeyProtector protector = protector(KEY_A);
        assertInstanceOf(KmsKeyProtector.class, protector);
        String context = "walden 42 key 1";

        KeyProtector.NewKey key = protector.generate(context);

        assertEquals(32, key.plain().length);
        assertFalse(Arrays.equals(key.plain(), key.wrapped()), "the wrapped key is the plain key");
        assertFalse(contains(key.wrapped(), key.plain()), "the wrapped key holds the plain key");
        assertEquals(1, kms.calls().size(), kms.calls().toString());
        KmsStandIn.Call generate = kms.calls().get(0);
        assertEquals("TrentService.GenerateDataKey", generate.target());
        assertEquals(KEY_A, generate.body().path("KeyId").asText());
        assertEquals("AES_256", generate.body().path("KeySpec").asText());
        assertEquals(JSON.valueToTree(Map.of("walden", context)), generate.body().path("EncryptionContext"));
        assertEquals(200, generate.status());
        assertTrue(generate.contentType().startsWith("application/x-amz-json-1.1"), generate.contentType());
        // the credentials came through the SDK's default chain, from the system properties
        assertTrue(generate.authorization().contains("Credential=" + ACCESS_KEY + "/"), generate.authorization());
        assertArrayEquals(key.plain(), kms.lastPlaintext(), "the caller got another key than KMS made");

        byte[] opened = protector.unwrap(key.wrapped(), context);

        assertArrayEquals(key.plain(), opened);
        assertEquals(2, kms.calls().size(), kms.calls().toString());
        KmsStandIn.Call decrypt = kms.calls().get(1);
        assertEquals("TrentService.Decrypt", decrypt.target());
        assertEquals(KEY_A, decrypt.body().path("KeyId").asText());
        assertEquals(Base64.getEncoder().encodeToString(key.wrapped()), decrypt.body().path("CiphertextBlob").asText());
        assertEquals(JSON.valueToTree(Map.of("walden", context)), decrypt.body().path("EncryptionContext"));
        assertEquals(200, decrypt.status());
    }

    @Test
    void aBlobOpenedUnderAnotherContextIsTheWrongKeyInOneLineWithoutKeyMaterial() throws IOException {
        KeyProtector protector = protector(KEY_A);
        KeyProtector.NewKey key = protector.generate("walden 42 key 1");

        WrongKeyException e = assertThrows(WrongKeyException.class,
                () -> protector.unwrap(key.wrapped(), "walden 42 key 2"));

        assertEquals("InvalidCiphertextException", kms.calls().getLast().errorType());
        assertEquals(2, kms.calls().size(), "the SDK retried a wrong key: " + kms.calls());
        String message = e.getMessage();
        assertTrue(message.contains("KMS key " + KEY_A), message);
        assertTrue(message.contains("walden 42 key 2"), message);
        assertOneLine(message);
        assertNoKeyMaterial(message, key.plain());
        assertFalse(message.contains(Base64.getEncoder().encodeToString(key.wrapped())), message);
    }

    @Test
    void aKeyringProtectedByKmsOpensAgainAndStoresNoPlainKey() throws IOException {
        MemoryStorage storage = new MemoryStorage();
        KeySource.Kms source = source(KEY_A, kms.endpoint());

        Keyring created = Keyring.create(storage, source, "42", Instant.now());
        Keyring opened = Keyring.open(storage, source, "42");

        assertEquals(1, opened.current().id());
        assertArrayEquals(created.current().bytes(), opened.current().bytes());
        assertArrayEquals(created.namingKey(), opened.namingKey());
        assertFalse(Arrays.equals(created.current().bytes(), created.namingKey()), "one key serves both purposes");
        assertEquals("KMS key " + KEY_A, opened.protection());
        assertEquals(List.of("TrentService.GenerateDataKey", "TrentService.GenerateDataKey", "TrentService.Decrypt",
                "TrentService.Decrypt"), kms.calls().stream().map(KmsStandIn.Call::target).toList());
        assertEquals(List.of("walden 42 naming key", "walden 42 key 1", "walden 42 naming key", "walden 42 key 1"),
                kms.calls().stream().map(c -> c.body().path("EncryptionContext").path("walden").asText()).toList());

        String stored = new String(storage.snapshot().get(Keyring.KEY), StandardCharsets.UTF_8);
        assertTrue(stored.contains("\"protection\" : \"kms\""), stored);
        assertTrue(stored.contains("\"kms_key_id\" : \"" + KEY_A + "\""), stored);
        assertNoKeyMaterial(stored, created.current().bytes());
        assertNoKeyMaterial(stored, created.namingKey());
    }

    @Test
    void aKeyringOpenedWithAnotherKmsKeyIsTheWrongKey() throws IOException {
        MemoryStorage storage = new MemoryStorage();
        Keyring created = Keyring.create(storage, source(KEY_A, kms.endpoint()), "42", Instant.now());

        int calls = kms.calls().size();
        WrongKeyException e = assertThrows(WrongKeyException.class,
                () -> Keyring.open(storage, source(KEY_B, kms.endpoint()), "42"));

        assertEquals(calls, kms.calls().size(), "refused from keyring.json, before asking KMS");
        String message = e.getMessage();
        assertEquals("the keys of memory are protected by KMS key " + KEY_A + ", but the configuration gives KMS key "
                + KEY_B + "; give the repository's own (repository.encryption.kms_key_id)", message);
        assertOneLine(message);
        assertNoKeyMaterial(message, created.current().bytes());
        assertNoKeyMaterial(message, created.namingKey());

        // a blob handed to another KMS key: KMS answers IncorrectKeyException, the wrong key
        KeyProtector.NewKey key = protector(KEY_A).generate("walden 42 key 9");
        WrongKeyException other = assertThrows(WrongKeyException.class,
                () -> protector(KEY_B).unwrap(key.wrapped(), "walden 42 key 9"));
        assertEquals("IncorrectKeyException", kms.calls().getLast().errorType());
        assertOneLine(other.getMessage());
    }

    @Test
    void aKeyringMovedToAnotherKmsKeyKeepsItsKeysAndOpensOnlyWithTheNewOne() throws IOException {
        MemoryStorage storage = new MemoryStorage();
        Keyring created = Keyring.create(storage, source(KEY_A, kms.endpoint()), "42", Instant.now());
        Keyring moved = created.protect(storage, source(KEY_B, kms.endpoint()));
        assertEquals("TrentService.Encrypt", kms.calls().getLast().target());
        assertEquals(KEY_B, kms.calls().getLast().body().path("KeyId").asText());

        Keyring reopened = Keyring.open(storage, source(KEY_B, kms.endpoint()), "42");
        assertArrayEquals(created.current().bytes(), reopened.current().bytes());
        assertArrayEquals(created.namingKey(), reopened.namingKey());
        assertEquals("KMS key " + KEY_B, moved.protection());
        assertThrows(WrongKeyException.class, () -> Keyring.open(storage, source(KEY_A, kms.endpoint()), "42"));
    }

    @Test
    void kmsFailingWithHttp500IsAnIoErrorNotTheWrongKey() throws IOException {
        KeyProtector protector = protector(KEY_A);
        KeyProtector.NewKey key = protector.generate("walden 42 key 1");
        kms.failWith(500);

        long start = System.nanoTime();
        IOException generate = assertThrows(IOException.class, () -> protector.generate("walden 42 key 2"));
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertFalse(generate instanceof WrongKeyException, generate.toString());
        assertTrue(generate.getMessage().startsWith("KMS key " + KEY_A), generate.getMessage());
        assertOneLine(generate.getMessage());
        assertTrue(took.compareTo(Duration.ofSeconds(10)) < 0, "the SDK retried for " + took);
        long generateAttempts = kms.calls().stream().filter(c -> c.status() == 500).count();
        assertTrue(generateAttempts >= 1, kms.calls().toString());

        IOException unwrap = assertThrows(IOException.class, () -> protector.unwrap(key.wrapped(), "walden 42 key 1"));
        assertFalse(unwrap instanceof WrongKeyException, unwrap.toString());
        assertTrue(unwrap.getMessage().startsWith("KMS key " + KEY_A), unwrap.getMessage());
        assertOneLine(unwrap.getMessage());
        assertNoKeyMaterial(unwrap.getMessage(), key.plain());
    }

    @Test
    void anUnreachableKmsIsAnIoErrorInOneLine() throws IOException {
        KmsStandIn gone = KmsStandIn.start(KEY_A);
        URI endpoint = gone.endpoint();
        gone.close();
        KeyProtector protector = source(KEY_A, endpoint).protector(null);

        long start = System.nanoTime();
        IOException e = assertThrows(IOException.class, () -> protector.generate("walden 42 key 1"));
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertFalse(e instanceof WrongKeyException, e.toString());
        assertTrue(e.getMessage().startsWith("KMS key " + KEY_A), e.getMessage());
        assertOneLine(e.getMessage());
        assertTrue(took.compareTo(Duration.ofSeconds(10)) < 0, "the SDK retried for " + took);
        assertTrue(gone.calls().isEmpty(), gone.calls().toString());
    }

    private static void assertOneLine(String message) {
        assertNotNull(message);
        assertFalse(message.contains("\n") || message.contains("\r"), "more than one line: " + message);
    }

    private static void assertNoKeyMaterial(String text, byte[] key) {
        for (String form : List.of(Base64.getEncoder().encodeToString(key), Base64.getUrlEncoder().encodeToString(key),
                HexFormat.of().formatHex(key), HexFormat.of().withUpperCase().formatHex(key))) {
            assertFalse(text.contains(form), "holds key material " + form + ": " + text);
        }
    }

    private static boolean contains(byte[] haystack, byte[] needle) {
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            if (Arrays.equals(haystack, i, i + needle.length, needle, 0, needle.length)) {
                return true;
            }
        }
        return false;
    }

    /**
     * A stand-in for AWS KMS on a free loopback port, speaking its JSON protocol (AWS JSON 1.1)
     * for {@code GenerateDataKey} and {@code Decrypt}. Each KMS key it knows has an AES-256-GCM
     * master key of its own; a ciphertext blob names the key that made it and is
     * {@code AES-GCM(master, data key, aad = key id + encryption context)}, so a blob opened
     * under another context fails with {@code InvalidCiphertextException}, and a Decrypt that
     * names another key with {@code IncorrectKeyException}, as KMS answers. Signatures are not
     * checked. Every request is recorded.
     */
    static final class KmsStandIn implements AutoCloseable {
        /** One request, and what the stand-in answered (status, and error type when it failed). */
        record Call(String target, String contentType, String authorization, JsonNode body, int status,
                    String errorType) {
        }

        private static final class KmsError extends Exception {
            private static final long serialVersionUID = 1L;
            final int status;
            final String type;

            KmsError(int status, String type, String message) {
                super(message);
                this.status = status;
                this.type = type;
            }
        }

        private static final SecureRandom RANDOM = new SecureRandom();
        private final HttpServer server;
        private final Map<String, byte[]> masters = new ConcurrentHashMap<>();
        private final List<Call> calls = new CopyOnWriteArrayList<>();
        private volatile int failWith;
        private volatile byte[] lastPlaintext;

        private KmsStandIn(HttpServer server) {
            this.server = server;
        }

        static KmsStandIn start(String... keyIds) throws IOException {
            HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            KmsStandIn kms = new KmsStandIn(server);
            for (String keyId : keyIds) {
                byte[] master = new byte[32];
                RANDOM.nextBytes(master);
                kms.masters.put(keyId, master);
            }
            server.createContext("/", kms::handle);
            server.start();
            return kms;
        }

        URI endpoint() {
            return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
        }

        List<Call> calls() {
            return List.copyOf(calls);
        }

        /** Answers every request from now on with this HTTP status (a KMSInternalException). */
        void failWith(int status) {
            failWith = status;
        }

        /** The plain data key the last GenerateDataKey returned. */
        byte[] lastPlaintext() {
            return lastPlaintext;
        }

        @Override
        public void close() {
            server.stop(0);
        }

        private void handle(HttpExchange exchange) throws IOException {
            try (exchange) {
                byte[] requestBytes = exchange.getRequestBody().readAllBytes();
                String target = exchange.getRequestHeaders().getFirst("X-Amz-Target");
                String contentType = exchange.getRequestHeaders().getFirst("Content-Type");
                String authorization = exchange.getRequestHeaders().getFirst("Authorization");
                JsonNode request = null;
                int status = 200;
                String errorType = null;
                byte[] reply;
                try {
                    request = parse(requestBytes);
                    if (failWith != 0) {
                        throw new KmsError(failWith, "KMSInternalException", "the stand-in fails on purpose");
                    }
                    if (!"POST".equals(exchange.getRequestMethod()) || !"/".equals(exchange.getRequestURI().getPath())
                            || contentType == null || !contentType.startsWith("application/x-amz-json-1.1")) {
                        throw new KmsError(400, "UnknownOperationException", "not an AWS JSON 1.1 request");
                    }
                    ObjectNode response = switch (String.valueOf(target)) {
                        case "TrentService.GenerateDataKey" -> generateDataKey(request);
                        case "TrentService.Decrypt" -> decrypt(request);
                        case "TrentService.Encrypt" -> encrypt(request);
                        default -> throw new KmsError(400, "UnknownOperationException", "unknown target " + target);
                    };
                    reply = JSON.writeValueAsBytes(response);
                } catch (KmsError e) {
                    status = e.status;
                    errorType = e.type;
                    reply = JSON.writeValueAsBytes(Map.of("__type", e.type, "message", e.getMessage()));
                    exchange.getResponseHeaders().set("x-amzn-ErrorType", e.type);
                }
                calls.add(new Call(target, contentType, authorization, request, status, errorType));
                exchange.getResponseHeaders().set("Content-Type", "application/x-amz-json-1.1");
                exchange.getResponseHeaders().set("x-amzn-RequestId", java.util.UUID.randomUUID().toString());
                exchange.sendResponseHeaders(status, reply.length);
                exchange.getResponseBody().write(reply);
            }
        }

        private static JsonNode parse(byte[] body) throws KmsError {
            try {
                JsonNode node = JSON.readTree(body);
                if (node == null || !node.isObject()) {
                    throw new KmsError(400, "SerializationException", "the body is not a JSON object");
                }
                return node;
            } catch (IOException e) {
                throw new KmsError(400, "SerializationException", "the body is not JSON");
            }
        }

        private ObjectNode generateDataKey(JsonNode request) throws KmsError {
            String keyId = request.path("KeyId").asText();
            byte[] master = master(keyId);
            if (!"AES_256".equals(request.path("KeySpec").asText())) {
                throw new KmsError(400, "ValidationException", "the stand-in makes AES_256 keys only");
            }
            byte[] dataKey = new byte[32];
            RANDOM.nextBytes(dataKey);
            byte[] nonce = new byte[12];
            RANDOM.nextBytes(nonce);
            byte[] sealed = gcm(Cipher.ENCRYPT_MODE, master, nonce, aad(keyId, request.path("EncryptionContext")), dataKey);
            byte[] id = keyId.getBytes(StandardCharsets.UTF_8);
            byte[] blob = ByteBuffer.allocate(2 + id.length + nonce.length + sealed.length).putShort((short) id.length)
                    .put(id).put(nonce).put(sealed).array();
            lastPlaintext = dataKey.clone();
            ObjectNode response = JSON.createObjectNode();
            response.put("KeyId", keyId);
            response.put("Plaintext", dataKey);
            response.put("CiphertextBlob", blob);
            return response;
        }

        /** Encrypt: the same blob format as GenerateDataKey's, for plaintext the caller brings. */
        private ObjectNode encrypt(JsonNode request) throws KmsError {
            String keyId = request.path("KeyId").asText();
            byte[] master = master(keyId);
            byte[] plain;
            try {
                plain = request.path("Plaintext").binaryValue();
            } catch (IOException e) {
                throw new KmsError(400, "SerializationException", "Plaintext is not base64");
            }
            byte[] nonce = new byte[12];
            RANDOM.nextBytes(nonce);
            byte[] sealed = gcm(Cipher.ENCRYPT_MODE, master, nonce, aad(keyId, request.path("EncryptionContext")), plain);
            byte[] id = keyId.getBytes(StandardCharsets.UTF_8);
            ObjectNode response = JSON.createObjectNode();
            response.put("KeyId", keyId);
            response.put("CiphertextBlob", ByteBuffer.allocate(2 + id.length + nonce.length + sealed.length)
                    .putShort((short) id.length).put(id).put(nonce).put(sealed).array());
            return response;
        }

        private ObjectNode decrypt(JsonNode request) throws KmsError {
            byte[] blob;
            try {
                blob = request.path("CiphertextBlob").binaryValue();
            } catch (IOException e) {
                throw new KmsError(400, "SerializationException", "CiphertextBlob is not base64");
            }
            if (blob == null || blob.length < 2) {
                throw new KmsError(400, "InvalidCiphertextException", "the ciphertext is not one of ours");
            }
            ByteBuffer buffer = ByteBuffer.wrap(blob);
            int idLength = Short.toUnsignedInt(buffer.getShort());
            if (buffer.remaining() < idLength + 12 + 16) {
                throw new KmsError(400, "InvalidCiphertextException", "the ciphertext is not one of ours");
            }
            byte[] id = new byte[idLength];
            buffer.get(id);
            String blobKeyId = new String(id, StandardCharsets.UTF_8);
            byte[] nonce = new byte[12];
            buffer.get(nonce);
            byte[] sealed = new byte[buffer.remaining()];
            buffer.get(sealed);
            String requestKeyId = request.path("KeyId").asText(null);
            if (requestKeyId != null && !requestKeyId.equals(blobKeyId)) {
                master(requestKeyId); // an unknown key is NotFoundException, as in KMS
                throw new KmsError(400, "IncorrectKeyException",
                        "The key ID in the request does not identify a CMK that can perform this operation.");
            }
            byte[] master = masters.get(blobKeyId);
            if (master == null) {
                throw new KmsError(400, "InvalidCiphertextException", "the ciphertext is not one of ours");
            }
            byte[] plain = gcm(Cipher.DECRYPT_MODE, master, nonce, aad(blobKeyId, request.path("EncryptionContext")),
                    sealed);
            ObjectNode response = JSON.createObjectNode();
            response.put("KeyId", blobKeyId);
            response.put("Plaintext", plain);
            response.put("EncryptionAlgorithm", "SYMMETRIC_DEFAULT");
            return response;
        }

        private byte[] master(String keyId) throws KmsError {
            byte[] master = masters.get(keyId);
            if (master == null) {
                throw new KmsError(400, "NotFoundException", "Key '" + keyId + "' does not exist");
            }
            return master;
        }

        /** The key id, a NUL, and the encryption context as JSON with its keys sorted. */
        private static byte[] aad(String keyId, JsonNode context) throws KmsError {
            Map<String, String> sorted = new TreeMap<>();
            if (!context.isMissingNode() && !context.isNull()) {
                if (!context.isObject()) {
                    throw new KmsError(400, "ValidationException", "EncryptionContext is not a map");
                }
                for (Map.Entry<String, JsonNode> entry : context.properties()) {
                    sorted.put(entry.getKey(), entry.getValue().asText());
                }
            }
            try {
                return (keyId + "\0" + JSON.writeValueAsString(sorted)).getBytes(StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }

        private static byte[] gcm(int mode, byte[] master, byte[] nonce, byte[] aad, byte[] input) throws KmsError {
            try {
                Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
                cipher.init(mode, new SecretKeySpec(master, "AES"), new GCMParameterSpec(128, nonce));
                cipher.updateAAD(aad);
                return cipher.doFinal(input);
            } catch (AEADBadTagException e) {
                throw new KmsError(400, "InvalidCiphertextException", "the ciphertext does not open");
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
