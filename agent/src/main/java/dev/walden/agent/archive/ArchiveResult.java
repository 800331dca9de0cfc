package dev.walden.agent.archive;

import dev.walden.console.Sizes;
import dev.walden.protocol.ErrorCode;
import dev.walden.protocol.ErrorReply;
import dev.walden.protocol.Frame;
import dev.walden.repo.StoredWal;
import java.time.Duration;

/** What became of one archive request; turns itself into the reply frame. */
public sealed interface ArchiveResult {

    Frame toFrame();

    /** The file is durably in the repository. */
    record Stored(StoredWal object, long originalBytes, boolean alreadyArchived, Duration took)
            implements ArchiveResult {
        @Override
        public Frame toFrame() {
            return Frame.ok(describe());
        }

        public String describe() {
            if (alreadyArchived) {
                return "'" + object.name() + "' was already archived with identical content";
            }
            return String.format("archived '%s' (%s, %s stored, %s) in %d ms", object.name(),
                    Sizes.bytes(originalBytes), Sizes.bytes(object.storedSize()), object.compression().configName(),
                    took.toMillis());
        }
    }

    /** The file was not archived; PostgreSQL will retry, and the message says why. */
    record Failed(ErrorCode code, String message) implements ArchiveResult {
        @Override
        public Frame toFrame() {
            return new ErrorReply(code, message).toFrame();
        }
    }
}
