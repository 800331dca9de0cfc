package dev.walden.repo;

import dev.walden.wal.WalFileName;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One archived WAL file as it sits in the repository. The object key is formatted and parsed
 * here and nowhere else:
 *
 * <pre>
 * wal/&lt;timeline+log&gt;/&lt;segment|partial|backup name&gt;-&lt;sha256&gt;[.&lt;ext&gt;]
 * wal/&lt;NNNNNNNN.history&gt;-&lt;sha256&gt;[.&lt;ext&gt;]
 * </pre>
 *
 * e.g. {@code wal/0000000100000000/000000010000000000000003-9f86…08.zst}. The 64 hex digits
 * are the content's name ({@link dev.walden.storage.Storage#contentName}): the SHA-256 of the
 * original bytes, or in an encrypted repository a keyed MAC of it. It travels with the object on
 * every storage (no sidecar to lose), and finding out whether a file is archived, and with which
 * content, is one listing of a directory that holds at most one 4 GiB stretch of WAL.
 */
public record StoredWal(WalFileName name, String key, String contentName, Compression compression, long storedSize) {
    public static final String ROOT = "wal/";
    private static final Pattern OBJECT_NAME = Pattern.compile("(.+)-([0-9a-f]{64})(?:\\.([a-z0-9]+))?");

    /** The key under which {@code name} with this content name and compression is stored. */
    public static String keyFor(WalFileName name, String contentName, Compression compression) {
        String ext = compression.extension().isEmpty() ? "" : "." + compression.extension();
        return prefixFor(name) + contentName + ext;
    }

    /** The listing prefix that finds every object stored for {@code name}. */
    public static String prefixFor(WalFileName name) {
        if (name.kind() == WalFileName.Kind.HISTORY) {
            return ROOT + name + "-";
        }
        return ROOT + name.segmentName().substring(0, 16) + "/" + name + "-";
    }

    /** Parses an object key back into what it stores; empty if the key is not a WAL object. */
    public static Optional<StoredWal> parse(String key, long storedSize) {
        if (!key.startsWith(ROOT)) {
            return Optional.empty();
        }
        String objectName = key.substring(key.lastIndexOf('/') + 1);
        Matcher m = OBJECT_NAME.matcher(objectName);
        if (!m.matches()) {
            return Optional.empty();
        }
        WalFileName name;
        try {
            name = WalFileName.parse(m.group(1));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        Optional<Compression> compression = Compression.fromExtension(m.group(3) == null ? "" : m.group(3));
        if (compression.isEmpty() || !key.equals(keyFor(name, m.group(2), compression.get()))) {
            return Optional.empty();
        }
        return Optional.of(new StoredWal(name, key, m.group(2), compression.get(), storedSize));
    }
}
