package dev.walden.protocol;

import java.io.IOException;

/** A frame or request body that breaks the protocol. Carries the code to reply with. */
public final class ProtocolException extends IOException {
    private static final long serialVersionUID = 1L;

    private final ErrorCode code;

    public ProtocolException(ErrorCode code, String message) {
        super(message);
        this.code = code;
    }

    public ErrorCode code() {
        return code;
    }
}
