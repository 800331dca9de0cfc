package dev.walden.repo;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.function.UnaryOperator;

/**
 * SHA-256 of original (uncompressed) bytes: the checksum every stored object carries. SHA-256
 * rather than a CRC because the same checksum decides whether two files are identical when a file
 * is archived twice; the JDK computes it with the CPU's SHA extensions where present.
 */
public final class Checksums {
    public static final int HEX_LENGTH = 64;

    private Checksums() {
    }

    public static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    public static String hex(MessageDigest digest) {
        return HexFormat.of().formatHex(digest.digest());
    }

    /** Reads the stream to its end and returns the hex SHA-256 of what it read. */
    public static String sha256(InputStream in) throws IOException {
        MessageDigest digest = newDigest();
        byte[] buffer = new byte[128 * 1024];
        int n;
        while ((n = in.read(buffer)) > 0) {
            digest.update(buffer, 0, n);
        }
        return hex(digest);
    }

    /**
     * Wraps {@code in} so that reaching its end checks that everything read hashes to
     * {@code expected}; a mismatch throws {@link CorruptObjectException} from the read that hit
     * the end. A caller must therefore read to the end before trusting what it read.
     */
    public static InputStream verifying(InputStream in, String expected, String what) {
        return new VerifyingInputStream(in, expected, UnaryOperator.identity(), what);
    }

    /**
     * As {@link #verifying(InputStream, String, String)} for a content name: reaching the end
     * checks that {@code naming} applied to the SHA-256 of everything read equals {@code expected}.
     */
    public static InputStream verifying(InputStream in, String expected, UnaryOperator<String> naming, String what) {
        return new VerifyingInputStream(in, expected, naming, what);
    }

    private static final class VerifyingInputStream extends FilterInputStream {
        private final MessageDigest digest = newDigest();
        private final String expected;
        private final UnaryOperator<String> naming;
        private final String what;
        private boolean verified;

        VerifyingInputStream(InputStream in, String expected, UnaryOperator<String> naming, String what) {
            super(in);
            this.expected = expected;
            this.naming = naming;
            this.what = what;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                digest.update(b, off, n);
            } else if (n < 0 && !verified) {
                String sha256 = hex(digest);
                String actual = naming.apply(sha256);
                if (!actual.equals(expected)) {
                    throw new CorruptObjectException(what + " is corrupt: its content hashes to SHA-256 "
                            + sha256 + (actual.equals(sha256) ? "" : " (content name " + actual + ")")
                            + ", but it was stored with " + expected);
                }
                verified = true;
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            throw new IOException("skipping would bypass the checksum of " + what);
        }

        @Override
        public boolean markSupported() {
            return false;
        }
    }
}
