package dev.walden.wal;

import dev.walden.protocol.ErrorCode;
import java.io.IOException;

/** A file that must not be archived, with the error code that tells the client why. */
public final class WalFileException extends IOException {
    private static final long serialVersionUID = 1L;

    private final ErrorCode code;

    public WalFileException(ErrorCode code, String message) {
        super(message);
        this.code = code;
    }

    public ErrorCode code() {
        return code;
    }
}
