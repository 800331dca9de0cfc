package dev.walden.crypto;

import com.google.crypto.tink.subtle.AesGcmHkdfStreaming;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Arrays;

/**
 * The encrypted object format, formatted and parsed here and nowhere else
 * ({@code docs/repository-format.md}, "Encrypted objects", describes it byte by byte):
 *
 * <pre>
 * "WALDENC" 0x01       8 bytes: magic and format version
 * key id               4 bytes, big-endian: which data key of keyring.json encrypted it
 * ciphertext           Tink AES-GCM-HKDF streaming (HKDF-SHA256, AES-256, 256 KiB segments),
 *                      associated data = the 12 bytes above followed by the object's key in UTF-8
 * </pre>
 *
 * Binding the object's key as associated data is what makes a renamed or swapped object fail
 * authentication, and binding the 12-byte header makes a changed key id fail too. The streaming
 * construction authenticates every segment before releasing its plaintext and marks the last
 * one, so a truncated object fails instead of reading as a shorter one.
 */
public final class ObjectCipher {
    /** {@code W A L D E N C 0x01}. */
    static final byte[] MAGIC = {'W', 'A', 'L', 'D', 'E', 'N', 'C', 1};
    public static final int HEADER_BYTES = MAGIC.length + 4;
    static final int KEY_BYTES = 32;
    static final int CIPHERTEXT_SEGMENT_BYTES = 256 * 1024;
    /** Tink's own header: its length (1 byte), the HKDF salt (32) and the nonce prefix (7). */
    static final int TINK_HEADER_BYTES = 1 + KEY_BYTES + 7;
    static final int TAG_BYTES = 16;

    private ObjectCipher() {
    }

    /**
     * Wraps {@code out}: what is written to the returned stream is stored encrypted under
     * {@code key}; closing it writes the last segment and closes {@code out}.
     */
    public static OutputStream encrypt(OutputStream out, DataKey dataKey, String objectKey) throws IOException {
        byte[] header = header(dataKey.id());
        out.write(header);
        try {
            return streaming(dataKey).newEncryptingStream(out, associatedData(header, objectKey));
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot encrypt '" + objectKey + "': " + e.getMessage(), e);
        }
    }

    /**
     * The key id in the header of an encrypted object, read from {@code in}'s first bytes.
     *
     * @throws ObjectAuthenticationException when the object doesn't start with walden's header
     */
    public static int readKeyId(InputStream in, String objectKey) throws IOException {
        byte[] header = in.readNBytes(HEADER_BYTES);
        return parseHeader(header, objectKey);
    }

    /**
     * Wraps {@code in}, positioned after the header {@link #readKeyId} read, into the object's
     * plaintext. A read that meets a segment failing authentication, or the end of a truncated
     * object, throws {@link ObjectAuthenticationException}.
     */
    public static InputStream decrypt(InputStream in, DataKey dataKey, String objectKey) throws IOException {
        try {
            InputStream plain = streaming(dataKey).newDecryptingStream(new SourceStream(in),
                    associatedData(header(dataKey.id()), objectKey));
            return new AuthenticatedInputStream(plain, objectKey, dataKey.id());
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot decrypt '" + objectKey + "': " + e.getMessage(), e);
        }
    }

    /** How many bytes an object of {@code plaintextBytes} takes encrypted, header included. */
    public static long encryptedSize(long plaintextBytes) {
        try {
            return HEADER_BYTES + streaming(new DataKey(0, new byte[KEY_BYTES])).expectedCiphertextSize(plaintextBytes);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The inverse of {@link #encryptedSize}: how many bytes the stored object of
     * {@code encryptedBytes} holds once decrypted. Tink's ciphertext is its header (40 bytes)
     * and segments of {@value #CIPHERTEXT_SEGMENT_BYTES} bytes, the first shortened by that
     * header, each carrying a 16-byte tag. Meaningless for an object that isn't well formed,
     * which reading it finds out.
     */
    public static long plaintextSize(long encryptedBytes) {
        long tink = encryptedBytes - HEADER_BYTES;
        if (tink <= TINK_HEADER_BYTES + TAG_BYTES) {
            return 0;
        }
        long segments = (tink + CIPHERTEXT_SEGMENT_BYTES - 1) / CIPHERTEXT_SEGMENT_BYTES;
        return tink - TINK_HEADER_BYTES - segments * TAG_BYTES;
    }

    static byte[] header(int keyId) {
        return ByteBuffer.allocate(HEADER_BYTES).put(MAGIC).putInt(keyId).array();
    }

    static int parseHeader(byte[] header, String objectKey) throws ObjectAuthenticationException {
        if (header.length < HEADER_BYTES || !Arrays.equals(header, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            throw new ObjectAuthenticationException("object '" + objectKey + "' is not an encrypted walden object"
                    + (header.length < HEADER_BYTES ? " (" + header.length + " bytes)" : " (no WALDENC header)")
                    + "; an encrypted repository holds nothing else");
        }
        return ByteBuffer.wrap(header, MAGIC.length, 4).getInt();
    }

    private static byte[] associatedData(byte[] header, String objectKey) {
        byte[] name = objectKey.getBytes(StandardCharsets.UTF_8);
        byte[] aad = Arrays.copyOf(header, header.length + name.length);
        System.arraycopy(name, 0, aad, header.length, name.length);
        return aad;
    }

    private static AesGcmHkdfStreaming streaming(DataKey dataKey) throws IOException {
        try {
            return new AesGcmHkdfStreaming(dataKey.bytes(), "HmacSha256", KEY_BYTES, CIPHERTEXT_SEGMENT_BYTES, 0);
        } catch (GeneralSecurityException e) {
            throw new IOException("AES-GCM-HKDF streaming is unavailable: " + e.getMessage(), e);
        }
    }

    /** Says which object failed, and why that can be, instead of Tink's bare messages. */
    private static final class AuthenticatedInputStream extends java.io.FilterInputStream {
        private final String objectKey;
        private final int keyId;

        AuthenticatedInputStream(InputStream in, String objectKey, int keyId) {
            super(in);
            this.objectKey = objectKey;
            this.keyId = keyId;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            try {
                return super.read(b, off, len);
            } catch (IOException e) {
                for (Throwable t = e; t != null; t = t.getCause()) {
                    if (t instanceof SourceStream.Failure failure) {
                        throw failure.source();
                    }
                }
                // Tink's message dumps the stream's internal state: it says nothing an operator can use
                throw new ObjectAuthenticationException("object '" + objectKey + "' fails authentication with key "
                        + keyId + ": it was changed, truncated, renamed or swapped with another", e);
            }
        }
    }

    /**
     * The encrypted bytes as the storage gives them, with the storage's own failures marked, so
     * that a failed read is told apart from content that fails authentication.
     */
    private static final class SourceStream extends java.io.FilterInputStream {
        SourceStream(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            try {
                return super.read();
            } catch (IOException e) {
                throw new Failure(e);
            }
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            try {
                return super.read(b, off, len);
            } catch (IOException e) {
                throw new Failure(e);
            }
        }

        static final class Failure extends IOException {
            private static final long serialVersionUID = 1L;

            Failure(IOException source) {
                super(source.getMessage(), source);
            }

            IOException source() {
                return (IOException) getCause();
            }
        }
    }
}
