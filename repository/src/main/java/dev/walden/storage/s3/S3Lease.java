package dev.walden.storage.s3;

import dev.walden.storage.HostName;
import dev.walden.storage.StorageLock;
import dev.walden.storage.StorageLockedException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * A storage lock on S3: a lease object {@code .locks/<name>} holding the owner, a random token
 * and an expiry, renewed every third of its lifetime while the handle is open. S3 has no
 * process-bound locks, so "dies with its holder" means: the lease expires {@link #TTL} after the
 * holder stopped renewing, or at once when the holder named in it is a process on this host
 * that no longer exists (an agent restarted after a crash does not wait).
 *
 * <p>Creating and taking over a lease are conditional writes ({@code If-None-Match: *},
 * {@code If-Match: <etag>}), and the lease is read back after writing, so of two processes
 * racing for it one wins even on a store that ignores the conditions.
 */
final class S3Lease implements StorageLock {
    static final Duration TTL = Duration.ofSeconds(60);
    private static final Pattern LOCAL_PID = Pattern.compile("\\(pid (\\d+) on ([^)\\s]+)\\)");

    private final S3Storage storage;
    private final String name;
    private final String key;
    private final String owner;
    private final String token = UUID.randomUUID().toString();
    private volatile String etag;
    private volatile boolean lost;
    private ScheduledFuture<?> renewal;

    private record Held(String owner, String token, long expiresMillis, String etag) {
    }

    private S3Lease(S3Storage storage, String name, String owner) {
        this.storage = storage;
        this.name = name;
        this.key = ".locks/" + name;
        this.owner = owner;
    }

    static S3Lease take(S3Storage storage, String name, String owner) throws IOException {
        S3Lease lease = new S3Lease(storage, name, owner);
        lease.acquire();
        return lease;
    }

    private void acquire() throws IOException {
        for (int attempt = 0; attempt < 3; attempt++) {
            Optional<Held> current = read();
            if (current.isPresent() && alive(current.get())) {
                throw new StorageLockedException(name, storage.describe(), current.get().owner());
            }
            try {
                etag = write(current.map(Held::etag));
            } catch (S3Exception e) {
                if (e.statusCode() == 412 || e.statusCode() == 409 || e.statusCode() == 404) {
                    continue; // another process wrote or removed it first: look again
                }
                throw S3Failures.of("taking the " + name + " lock", key, storage.settings(), e);
            } catch (SdkException e) {
                throw S3Failures.of("taking the " + name + " lock", key, storage.settings(), e);
            }
            Optional<Held> now = read();
            if (now.isPresent() && now.get().token().equals(token)) {
                etag = now.get().etag();
                long every = TTL.toMillis() / 3;
                renewal = storage.scheduler().scheduleWithFixedDelay(this::renew, every, every, TimeUnit.MILLISECONDS);
                return;
            }
            if (now.isPresent()) {
                throw new StorageLockedException(name, storage.describe(), now.get().owner());
            }
        }
        throw new IOException("the " + name + " lock of " + storage.describe() + " kept changing hands; try again");
    }

    private boolean alive(Held held) {
        if (held.token().equals(token)) {
            return false;
        }
        if (held.expiresMillis() < System.currentTimeMillis()) {
            return false;
        }
        Matcher m = LOCAL_PID.matcher(held.owner());
        if (m.find() && m.group(2).equals(HostName.get())) {
            return ProcessHandle.of(Long.parseLong(m.group(1))).map(ProcessHandle::isAlive).orElse(false);
        }
        return true;
    }

    private String write(Optional<String> replacing) {
        byte[] body = (owner + "\n" + token + "\n" + (System.currentTimeMillis() + TTL.toMillis()) + "\n")
                .getBytes(StandardCharsets.UTF_8);
        return storage.client().putObject(r -> {
            // a renewal must end well within the lease, retries included
            storage.encryption(r.bucket(storage.bucket()).key(storage.full(key)))
                    .overrideConfiguration(o -> o.apiCallTimeout(TTL.dividedBy(4)));
            if (replacing.isPresent()) {
                r.ifMatch(replacing.get());
            } else {
                r.ifNoneMatch("*");
            }
        }, RequestBody.fromBytes(body)).eTag();
    }

    private Optional<Held> read() throws IOException {
        ResponseBytes<GetObjectResponse> bytes;
        try {
            bytes = storage.client().getObjectAsBytes(r -> r.bucket(storage.bucket()).key(storage.full(key)));
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        } catch (SdkException e) {
            throw S3Failures.of("reading the " + name + " lock", key, storage.settings(), e);
        }
        String[] lines = bytes.asUtf8String().split("\n");
        long expires = 0;
        try {
            expires = lines.length > 2 ? Long.parseLong(lines[2].strip()) : 0;
        } catch (NumberFormatException e) {
            // unreadable: treated as expired
        }
        return Optional.of(new Held(lines[0], lines.length > 1 ? lines[1] : "", expires, bytes.response().eTag()));
    }

    private void renew() {
        if (lost) {
            return;
        }
        try {
            etag = write(Optional.of(etag));
        } catch (S3Exception e) {
            if (e.statusCode() == 412) {
                // our last renewal may have been stored with its answer lost: is it still ours?
                try {
                    Optional<Held> current = read();
                    if (current.isPresent() && current.get().token().equals(token)) {
                        etag = current.get().etag();
                        return;
                    }
                } catch (IOException | RuntimeException again) {
                    return; // try again at the next renewal
                }
                lost = true;
                System.err.println("walden: lost the " + name + " lock of " + storage.describe()
                        + ": another process took it over; this one must stop writing");
            }
            // anything else: a missed renewal is retried at the next one, well within the lease
        } catch (RuntimeException e) {
            // never let the scheduled renewal die silently: retried at the next one
        }
    }


    @Override
    public void close() {
        if (renewal != null) {
            renewal.cancel(false);
        }
        try {
            Optional<Held> current = read();
            if (current.isPresent() && current.get().token().equals(token)) {
                storage.client().deleteObject(r -> r.bucket(storage.bucket()).key(storage.full(key)));
            }
        } catch (IOException | SdkException e) {
            // the lease expires by itself
        }
    }
}
