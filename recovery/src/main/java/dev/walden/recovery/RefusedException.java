package dev.walden.recovery;

import java.io.IOException;

/**
 * walden declined to do what was asked, before changing anything: the target is taken or is
 * production's, the port is in use, nobody confirmed. The audit trail records it as
 * {@code refused}, apart from a {@code failed} attempt.
 */
public final class RefusedException extends IOException {
    private static final long serialVersionUID = 1L;

    public RefusedException(String message) {
        super(message);
    }
}
