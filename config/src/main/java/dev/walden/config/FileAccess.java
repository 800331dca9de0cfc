package dev.walden.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Who owns a file and who else may change or read it: the checks walden makes before it trusts a
 * config file, a {@code .env} file or a repository directory, written once.
 *
 * <p>A file another user may change is a file that user controls: a config file names the agent's
 * socket (walden-push would take an impostor's "stored" for an archived segment), {@code pg_bin}
 * (programs walden runs) and the repository; a {@code .env} names the database host walden sends
 * the password to. So those are refused, as ssh refuses such a config file. A file that holds a
 * secret is refused when others can read it, with PostgreSQL's own exception for its key files:
 * owned by root, it may be readable by its group (0640), which is how an administrator hands a
 * secret to a service account without giving it the file.
 *
 * <p>The native walden-push ({@code native/src/walden_push.c}) makes the config file checks too,
 * with the same messages; PushClientConformanceIT compares the two.
 */
public final class FileAccess {
    private static final Path SELF = Path.of("/proc/self");
    private static final int ROOT = 0;
    private static final int GROUP_OR_OTHERS_WRITE = 0022;
    private static final int GROUP_READ = 0040;
    private static final int OTHERS_READ = 0004;

    private FileAccess() {
    }

    /** What stat(2) says about a file: its owner's uid and its mode bits. */
    public record Stat(int uid, int mode) {
        public boolean characterDevice() {
            return (mode & 0170000) == 0020000; // S_IFMT, S_IFCHR
        }

        public boolean writableByOthers() {
            return (mode & GROUP_OR_OTHERS_WRITE) != 0;
        }

        /** Whether the group or others have any permission at all. */
        public boolean openToOthers() {
            return (mode & 0077) != 0;
        }

        /** The permission bits as chmod takes them: {@code 0644}. */
        public String modeText() {
            return String.format("%04o", mode & 07777);
        }
    }

    /** Reads owner and mode; follows a symbolic link unless {@code options} say otherwise. */
    public static Stat stat(Path path, LinkOption... options) throws IOException {
        Map<String, Object> attributes = Files.readAttributes(path, "unix:uid,mode", options);
        return new Stat((Integer) attributes.get("uid"), (Integer) attributes.get("mode"));
    }

    /**
     * The effective uid of this process: Linux gives {@code /proc/self} to it. No user name is
     * looked up (walden-push runs once per segment, and a name service may be slow).
     */
    public static int currentUid() throws IOException {
        return stat(SELF).uid();
    }

    /** The name of this process's user; the number for a uid without a passwd entry (containers). */
    public static String currentUserName() throws IOException {
        return ownerName(SELF);
    }

    /** The name of the file's owner; the number when the system knows no name for it. */
    public static String ownerName(Path path) throws IOException {
        return Files.getOwner(path).getName();
    }

    /**
     * Checks a file walden reads settings from (a config file, a {@code .env} file).
     *
     * @param holdsSecret whether the file holds a password or key
     * @return the problem, one line naming the file and the fix; empty when the file may be used
     */
    public static Optional<String> settingsFileProblem(Path file, boolean holdsSecret) throws IOException {
        return settingsFileProblem(file, stat(file), currentUid(), holdsSecret);
    }

    /** {@link #settingsFileProblem(Path, boolean)} for a file with these attributes, read by {@code uid}. */
    static Optional<String> settingsFileProblem(Path file, Stat stat, int uid, boolean holdsSecret) {
        if (stat.characterDevice()) {
            return Optional.empty(); // /dev/null: root's, 0666, and no content anyone could rewrite
        }
        if (stat.uid() != uid && stat.uid() != ROOT) {
            return Optional.of("'" + file + "' is owned by uid " + stat.uid() + ", not by this user (uid " + uid
                    + ") or root; run: chown " + uid + " '" + file + "'");
        }
        boolean groupMayRead = stat.uid() == ROOT; // PostgreSQL's rule for its key files
        if (holdsSecret && ((stat.mode() & OTHERS_READ) != 0 || (stat.mode() & GROUP_READ) != 0 && !groupMayRead)) {
            return Optional.of("'" + file + "' holds a password and is readable by others (mode " + stat.modeText()
                    + "); run: " + (stat.uid() == ROOT ? "chmod 640 '" + file + "' and chgrp it to a group of this user"
                    : "chmod 600 '" + file + "'"));
        }
        if (stat.writableByOthers()) {
            return Optional.of("'" + file + "' is writable by others (mode " + stat.modeText() + "); run: chmod go-w '"
                    + file + "'");
        }
        return Optional.empty();
    }
}
