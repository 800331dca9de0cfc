package dev.walden.storage.s3;

import dev.walden.storage.ObjectWriter;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.model.CompletedPart;

/**
 * An object being written to S3. Content is buffered up to one part: an object that fits is one
 * PUT when committed; a larger one becomes a multipart upload whose parts go up as they fill, so
 * memory stays at one part per writer whatever the object's size. Every PUT and part carries a
 * Content-MD5 the server checks, so bytes damaged on the way are refused, not stored.
 *
 * <p>Nothing is visible before {@link #commit()}: S3 publishes a PUT or a completed multipart
 * upload atomically. Commit then checks the stored size with a HEAD, which catches a completion
 * that answered success without storing what was sent. Closing without a commit (or after a
 * failure) aborts the upload; an abort that fails too is left for
 * {@link S3Storage#removeAbandonedWrites}.
 */
final class S3ObjectWriter implements ObjectWriter {
    private static final int INITIAL_BUFFER = 64 * 1024;
    /** S3's limit of parts per upload. */
    private static final int MAX_PARTS = 10_000;

    private final S3Storage storage;
    private final String key;
    private final int partBytes;
    private final List<CompletedPart> parts = new ArrayList<>();
    private byte[] buffer = new byte[INITIAL_BUFFER];
    private int buffered;
    private long total;
    private String uploadId;
    private boolean committed;
    private boolean failed;
    private final OutputStream stream = new OutputStream() {
        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            append(b, off, len);
        }
    };

    S3ObjectWriter(S3Storage storage, String key, int partBytes) {
        this.storage = storage;
        this.key = key;
        this.partBytes = partBytes;
    }

    @Override
    public OutputStream stream() {
        return stream;
    }

    private void append(byte[] b, int off, int len) throws IOException {
        if (committed || failed || buffer == null) {
            throw new IOException("S3 write of '" + key + "' in " + storage.describe() + " is "
                    + (committed ? "already committed" : failed ? "broken by an earlier failure" : "closed"));
        }
        while (len > 0) {
            if (buffered == buffer.length) {
                if (buffer.length < partBytes) {
                    buffer = Arrays.copyOf(buffer, Math.min(partBytes, buffer.length * 2));
                } else {
                    uploadPart();
                }
            }
            int n = Math.min(len, buffer.length - buffered);
            System.arraycopy(b, off, buffer, buffered, n);
            buffered += n;
            total += n;
            off += n;
            len -= n;
        }
    }

    private void uploadPart() throws IOException {
        if (parts.size() == MAX_PARTS) {
            failed = true;
            throw new IOException("S3 write of '" + key + "' in " + storage.describe() + " is larger than S3's "
                    + MAX_PARTS + " parts of " + partBytes / (1024 * 1024) + " MiB");
        }
        try {
            if (uploadId == null) {
                uploadId = storage.client().createMultipartUpload(r -> storage.writeSettings(r, key)).uploadId();
                storage.openUploads().add(uploadId);
            }
            int number = parts.size() + 1;
            String md5 = md5(buffer, buffered);
            Duration attempt = attemptTimeout(buffered);
            String etag = storage.client().uploadPart(r -> r.bucket(storage.bucket()).key(storage.full(key))
                    .uploadId(uploadId).partNumber(number).contentLength((long) buffered).contentMD5(md5)
                    .overrideConfiguration(o -> o.apiCallAttemptTimeout(attempt)), body()).eTag();
            parts.add(CompletedPart.builder().partNumber(number).eTag(etag).build());
            buffered = 0;
        } catch (SdkException e) {
            failed = true;
            throw S3Failures.of("upload of part " + (parts.size() + 1), key, storage.settings(), e);
        }
    }

    /**
     * The configured timeout is for an answer; sending a large body takes its own time. Allow
     * 2 s per MiB on top (a link of 4 Mbit/s per upload), and leave stalls to the socket timeout.
     */
    private Duration attemptTimeout(int bytes) {
        return storage.settings().timeout().plusSeconds(2L * bytes / (1024 * 1024));
    }

    private RequestBody body() {
        byte[] bytes = buffer;
        int length = buffered;
        // a new stream for every attempt, so a retry resends the part from its start
        return RequestBody.fromContentProvider(() -> new ByteArrayInputStream(bytes, 0, length), length,
                "application/octet-stream");
    }

    @Override
    public void commit() throws IOException {
        if (committed) {
            return;
        }
        if (failed || buffer == null) {
            throw new IOException("S3 write of '" + key + "' in " + storage.describe()
                    + (failed ? " can't be committed after a failure" : " is closed"));
        }
        String etag;
        try {
            if (uploadId == null) {
                String md5 = md5(buffer, buffered);
                Duration attempt = attemptTimeout(buffered);
                etag = storage.client().putObject(r -> storage.writeSettings(r, key).contentLength((long) buffered)
                        .contentMD5(md5).overrideConfiguration(o -> o.apiCallAttemptTimeout(attempt)), body()).eTag();
            } else {
                if (buffered > 0) {
                    uploadPart();
                }
                etag = storage.client().completeMultipartUpload(r -> r.bucket(storage.bucket()).key(storage.full(key))
                        .uploadId(uploadId).multipartUpload(u -> u.parts(parts))).eTag();
                storage.openUploads().remove(uploadId);
            }
        } catch (SdkException e) {
            failed = true;
            throw S3Failures.of(uploadId == null ? "PUT" : "completion of the multipart upload", key,
                    storage.settings(), e);
        } catch (IOException e) {
            failed = true;
            throw e;
        }
        long stored;
        try {
            stored = storage.stat(key).map(i -> i.size()).orElse(-1L);
        } catch (IOException e) {
            failed = true;
            throw e;
        }
        if (stored != total) {
            failed = true;
            if (stored >= 0 && etag != null) {
                // what is there is not what was written: it must not stay under the name (unless
                // another writer has replaced it meanwhile, which If-Match leaves alone)
                try {
                    storage.client().deleteObject(r -> r.bucket(storage.bucket()).key(storage.full(key)).ifMatch(etag));
                } catch (SdkException e) {
                    // reported below either way
                }
            }
            throw new IOException("S3 write of '" + key + "' in " + storage.describe() + " was acknowledged but "
                    + (stored < 0 ? "the object is not there" : "holds " + stored + " bytes instead of " + total));
        }
        committed = true;
        buffer = null;
    }

    @Override
    public void close() {
        buffer = null;
        if (committed || uploadId == null) {
            return;
        }
        try {
            storage.client().abortMultipartUpload(r -> r.bucket(storage.bucket()).key(storage.full(key))
                    .uploadId(uploadId));
        } catch (SdkException e) {
            // removeAbandonedWrites aborts it later; the object itself was never visible
        } finally {
            storage.openUploads().remove(uploadId);
        }
    }

    private static String md5(byte[] bytes, int length) {
        try {
            MessageDigest md5 = MessageDigest.getInstance("MD5");
            md5.update(bytes, 0, length);
            return Base64.getEncoder().encodeToString(md5.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no MD5", e);
        }
    }
}
