package dev.walden.recovery;

import dev.walden.repo.Repository;
import dev.walden.repo.StreamedWal;
import dev.walden.wal.WalFileName;
import dev.walden.wal.WalSegmentSize;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * The streamed WAL that continues the archived WAL a recovery to the latest point replays: the
 * agent's {@link StreamedWal} objects of the target timeline from the segment after the last
 * archived one on, without a hole. They go into the new data directory's pg_wal under their
 * segment names, padded with zeros to a whole segment, as pg_receivewal's users do with its
 * .partial files: PostgreSQL asks restore_command first, and reads pg_wal when the archive has
 * no such segment, replaying up to the last complete record and ending recovery there.
 */
final class StreamedTail {
    private StreamedTail() {
    }

    /** Writes {@code tail} into {@code pgWal}, each checked against its content name, and says so. */
    static void place(Repository repository, List<StreamedWal> tail, Path pgWal, PrintWriter out) throws IOException {
        WalSegmentSize size = repository.cluster().segmentSize();
        for (StreamedWal s : tail) {
            Path target = pgWal.resolve(s.segment().toString());
            Path temporary = pgWal.resolve(s.segment() + ".walden-tmp");
            try (InputStream in = repository.stream().open(s); OutputStream o = Files.newOutputStream(temporary)) {
                long copied = in.transferTo(o);
                if (copied != s.length()) {
                    throw new IOException("streamed object " + s.key() + " holds " + copied + " bytes, its name says "
                            + s.length());
                }
                o.write(new byte[size.bytes() - s.length()]);
            } catch (IOException e) {
                Files.deleteIfExists(temporary);
                throw e;
            }
            Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
        if (!tail.isEmpty()) {
            StreamedWal last = tail.get(tail.size() - 1);
            out.printf("using streamed WAL past the archive: %s%s, to %s, stored %s (%d s before this recovery)%n",
                    tail.size() == 1 ? "" : tail.get(0).segment() + " .. ", last.segment()
                            + (last.complete(size) ? "" : " (partial)"), last.end(size),
                    last.stored().truncatedTo(java.time.temporal.ChronoUnit.SECONDS),
                    Math.max(0, Duration.between(last.stored(), Instant.now()).toSeconds()));
            out.flush();
        }
    }

    /** The segment number after the last of {@code segments}, or {@code fallback} when there are none. */
    static long nextSegment(List<WalFileName> segments, WalSegmentSize size, long fallback) {
        return segments.isEmpty() ? fallback : segments.get(segments.size() - 1).segmentNumber(size) + 1;
    }
}
