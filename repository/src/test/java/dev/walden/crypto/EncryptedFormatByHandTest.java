package dev.walden.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.walden.storage.MemoryStorage;
import dev.walden.storage.ObjectWriter;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Random;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Follows docs/repository-format.md, "Encrypted objects", byte by byte with nothing but the JDK's
 * AES-GCM and HMAC: the key file's key opens a data key of keyring.json, and the data key opens
 * an object. If the document and the code part ways, this fails.
 */
class EncryptedFormatByHandTest {
    @TempDir
    Path dir;

    @Test
    void theDocumentedFormatDecryptsAnObjectWithTheJdkAlone() throws Exception {
        MemoryStorage inner = new MemoryStorage();
        KeySource.KeyFile keyFile = TestKeys.keyFile(dir, "repo.key", 7);
        EncryptingStorage storage = new EncryptingStorage(inner, Keyring.create(inner, keyFile, "7441209334582231287",
                Instant.now()));
        byte[] content = new byte[600 * 1024]; // three segments
        new Random(3).nextBytes(content);
        String key = "backups/20261124T020000Z/data/base/5/1259.zst";
        try (ObjectWriter w = storage.write(key)) {
            w.stream().write(content);
            w.commit();
        }

        // 1. the master key: the key file's 64 hex digits
        byte[] master = HexFormat.of().parseHex(Files.readString(keyFile.path()).strip());
        // 2. keyring.json: keys[].wrapped = base64(nonce 12 | ciphertext 32 | tag 16), AES-256-GCM under the
        //    master key, associated data "walden <system identifier> key <id>"
        JsonNode keyring = new ObjectMapper().readTree(inner.snapshot().get("keyring.json"));
        JsonNode entry = keyring.get("keys").get(0);
        assertEquals(1, entry.get("id").asInt());
        byte[] wrapped = Base64.getDecoder().decode(entry.get("wrapped").asText());
        byte[] dataKey = gcm(master, Arrays.copyOf(wrapped, 12), Arrays.copyOfRange(wrapped, 12, wrapped.length),
                "walden 7441209334582231287 key 1".getBytes(StandardCharsets.UTF_8));

        // 3. the object: "WALDENC" 0x01, key id (4 bytes, big-endian), then Tink's header and segments
        byte[] object = inner.snapshot().get(key);
        assertEquals("WALDENC", new String(object, 0, 7, StandardCharsets.US_ASCII));
        assertEquals(1, object[7]);
        assertEquals(1, ByteBuffer.wrap(object, 8, 4).getInt());
        byte[] header = Arrays.copyOf(object, 12);
        assertEquals(40, object[12], "Tink's header length: 1 + salt 32 + nonce prefix 7");
        byte[] salt = Arrays.copyOfRange(object, 13, 45);
        byte[] noncePrefix = Arrays.copyOfRange(object, 45, 52);
        // 4. the object's key: HKDF-SHA256(ikm = data key, salt, info = the 12-byte header | the object's key)
        byte[] info = ByteBuffer.allocate(12 + key.length()).put(header).put(key.getBytes(StandardCharsets.UTF_8))
                .array();
        byte[] objectKey = hkdfSha256(dataKey, salt, info, 32);
        // 5. segments of 256 KiB of ciphertext (the first 40 bytes shorter), each AES-256-GCM with the nonce
        //    prefix | segment number (4 bytes, big-endian) | 1 for the last segment else 0, no associated data
        ByteArrayOutputStream plain = new ByteArrayOutputStream();
        int at = 52;
        int segment = 0;
        while (at < object.length) {
            int length = Math.min((segment == 0 ? 256 * 1024 - 40 : 256 * 1024), object.length - at);
            boolean last = at + length == object.length;
            byte[] nonce = ByteBuffer.allocate(12).put(noncePrefix).putInt(segment).put((byte) (last ? 1 : 0)).array();
            plain.write(gcm(objectKey, nonce, Arrays.copyOfRange(object, at, at + length), new byte[0]));
            at += length;
            segment++;
        }
        assertEquals(3, segment);
        assertArrayEquals(content, plain.toByteArray());
    }

    private static byte[] gcm(byte[] key, byte[] nonce, byte[] ciphertextAndTag, byte[] aad) throws Exception {
        Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
        cipher.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, nonce));
        cipher.updateAAD(aad);
        return cipher.doFinal(ciphertextAndTag);
    }

    /** RFC 5869 with HMAC-SHA256: extract, then expand (one block suffices for 32 bytes). */
    private static byte[] hkdfSha256(byte[] ikm, byte[] salt, byte[] info, int length) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(salt, "HmacSHA256"));
        byte[] prk = mac.doFinal(ikm);
        mac.init(new SecretKeySpec(prk, "HmacSHA256"));
        mac.update(info);
        mac.update((byte) 1);
        return Arrays.copyOf(mac.doFinal(), length);
    }
}
