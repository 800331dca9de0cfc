package dev.walden.agent.archive;

import dev.walden.protocol.ErrorCode;
import dev.walden.wal.WalFileException;

/** The wire code that tells walden-push why a file was refused: one per domain reason. */
final class WireCodes {
    private WireCodes() {
    }

    /** The answer to a file refused for {@code e}'s reason, in its words. */
    static ArchiveResult.Failed refusal(WalFileException e) {
        return new ArchiveResult.Failed(of(e.reason()), e.getMessage());
    }

    private static ErrorCode of(WalFileException.Reason reason) {
        return switch (reason) {
            case BAD_NAME -> ErrorCode.BAD_NAME;
            case BAD_SIZE -> ErrorCode.BAD_SIZE;
            case BAD_HEADER -> ErrorCode.BAD_HEADER;
            case FOREIGN_SYSTEM -> ErrorCode.FOREIGN_SYSTEM;
            case OUTSIDE_PG_WAL -> ErrorCode.OUTSIDE_PG_WAL;
            case FILE_NOT_FOUND -> ErrorCode.FILE_NOT_FOUND;
            case DUPLICATE_DIFFERS -> ErrorCode.DUPLICATE_DIFFERS;
            case MISSING_HISTORY -> ErrorCode.MISSING_HISTORY;
            case READ_FAILED -> ErrorCode.READ_FAILED;
        };
    }
}
