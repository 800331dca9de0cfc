package dev.walden.protocol;

/** Why an exchange with the agent produced no reply. The message is one line, fit for a log. */
public final class AgentClientException extends Exception {
    private static final long serialVersionUID = 1L;

    /** What went wrong; walden-push turns each kind into its own exit code. */
    public enum Kind {
        /** No socket file, or nobody listening on it. */
        NOT_RUNNING,
        /** The agent didn't answer before the deadline. */
        TIMEOUT,
        /** The agent answered with something that isn't a valid frame. */
        PROTOCOL,
        /** Any other I/O failure, e.g. permission denied on the socket or a directory on its path. */
        IO
    }

    private final Kind kind;

    public AgentClientException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
