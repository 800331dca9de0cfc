package dev.walden.protocol;

import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * A blocking, single-request client for the agent's Unix domain socket. Every step (connect,
 * write, read) counts against one deadline, so a hung agent costs at most {@code timeout}.
 *
 * <p>JDK only: this is what walden-push runs once per WAL segment.
 */
public final class AgentClient {
    private final Path socket;
    private final Duration timeout;

    public AgentClient(Path socket, Duration timeout) {
        this.socket = socket;
        this.timeout = timeout;
    }

    public Path socket() {
        return socket;
    }

    /**
     * Sends one request and returns the agent's reply frame (OK or ERROR).
     *
     * @throws AgentClientException if there is no reply, naming why
     */
    public Frame exchange(Frame request) throws AgentClientException {
        return exchange(request, line -> {
        });
    }

    /** What a long request reports before its final reply. */
    public interface Progress {
        /** A PROGRESS line. */
        void line(String line);

        /** A METER frame; ignored unless the caller shows numbers. */
        default void meter(Meter meter) {
        }
    }

    /**
     * Sends one request and returns the final reply, handing PROGRESS lines and METER frames to
     * {@code progress} as they come. For such long requests the timeout is the longest silence
     * allowed: each of those frames restarts it.
     */
    public Frame exchange(Frame request, Progress progress) throws AgentClientException {
        long deadline = System.nanoTime() + timeoutNanos();
        try {
            Files.readAttributes(socket, BasicFileAttributes.class);
        } catch (AccessDeniedException e) { // Files.exists would say "no socket" for this too
            throw new AgentClientException(AgentClientException.Kind.IO, "permission denied on '" + socket
                    + "': a directory on its path is closed to this user; run as the agent's user, or open the "
                    + "directory to agent.socket_group", e);
        } catch (IOException e) {
            throw new AgentClientException(AgentClientException.Kind.NOT_RUNNING,
                    "agent not running: no socket at '" + socket + "'", null);
        }
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
             Selector selector = Selector.open()) {
            channel.configureBlocking(false);
            SelectionKey key = channel.register(selector, 0);
            connect(channel, key, deadline);
            ByteBuffer received = ByteBuffer.allocate(FrameCodec.HEADER_LENGTH + FrameCodec.MAX_BODY_LENGTH);
            try {
                write(channel, key, ByteBuffer.wrap(FrameCodec.encode(request)), deadline);
            } catch (IOException e) {
                // The agent may have answered (e.g. "shutting down") and closed before reading our
                // request; its reply is still in our receive buffer and says more than EPIPE does.
                try {
                    return reply(channel, key, deadline, received, progress);
                } catch (AgentClientException unread) {
                    if (unread.getCause() instanceof ProtocolException) {
                        throw unread;
                    }
                    throw e;
                }
            }
            return reply(channel, key, deadline, received, progress);
        } catch (AgentClientException e) {
            throw e;
        } catch (BindException e) { // what the JDK makes of connect()'s EACCES (Net.c)
            throw new AgentClientException(AgentClientException.Kind.IO, "permission denied on '" + socket
                    + "': run as the agent's user, or set agent.socket_group to a group this user is in", e);
        } catch (ConnectException e) {
            throw new AgentClientException(AgentClientException.Kind.NOT_RUNNING,
                    "agent not running: nobody listens on '" + socket + "' (" + reason(e) + ")", e);
        } catch (IOException e) {
            throw new AgentClientException(AgentClientException.Kind.IO,
                    "cannot talk to the agent at '" + socket + "': " + reason(e), e);
        }
    }

    /**
     * The timeout in nanoseconds, at most about 73 years: {@code push.timeout = 999999999d} means
     * "wait forever", not an overflow (Duration.toNanos throws beyond 292 years, and nanoTime
     * arithmetic needs headroom).
     */
    private long timeoutNanos() {
        return timeout.compareTo(MAX_TIMEOUT) > 0 ? MAX_TIMEOUT.toNanos() : timeout.toNanos();
    }

    private static final Duration MAX_TIMEOUT = Duration.ofNanos(Long.MAX_VALUE / 4);

    private void connect(SocketChannel channel, SelectionKey key, long deadline)
            throws IOException, AgentClientException {
        if (channel.connect(UnixDomainSocketAddress.of(socket))) {
            return;
        }
        key.interestOps(SelectionKey.OP_CONNECT);
        while (!channel.finishConnect()) {
            await(key, deadline, "connecting");
        }
    }

    private void write(SocketChannel channel, SelectionKey key, ByteBuffer bytes, long deadline)
            throws IOException, AgentClientException {
        key.interestOps(SelectionKey.OP_WRITE);
        while (bytes.hasRemaining()) {
            if (channel.write(bytes) == 0) {
                await(key, deadline, "sending the request");
            }
        }
    }

    /** Reads frames until the final reply, passing progress on; each progress frame restarts the timeout. */
    private Frame reply(SocketChannel channel, SelectionKey key, long deadline, ByteBuffer received,
                        Progress progress) throws IOException, AgentClientException {
        long until = deadline;
        while (true) {
            Frame frame = read(channel, key, until, received);
            if (frame.type() == FrameType.PROGRESS) {
                progress.line(frame.bodyText());
            } else if (frame.type() == FrameType.METER) {
                try {
                    progress.meter(Meter.fromFrame(frame));
                } catch (ProtocolException e) {
                    // numbers for a progress bar: a bad one costs the bar, never the request
                }
            } else {
                return frame;
            }
            until = System.nanoTime() + timeoutNanos();
        }
    }

    /**
     * Reads the next frame. {@code buffer} (in write mode) carries bytes already received over
     * from one call to the next, so that frames arriving together are all seen.
     */
    private Frame read(SocketChannel channel, SelectionKey key, long deadline, ByteBuffer buffer)
            throws IOException, AgentClientException {
        key.interestOps(SelectionKey.OP_READ);
        while (true) {
            buffer.flip();
            Frame frame;
            try {
                frame = FrameCodec.decode(buffer);
            } catch (ProtocolException e) {
                throw new AgentClientException(AgentClientException.Kind.PROTOCOL,
                        "invalid reply from the agent: " + e.getMessage(), e);
            } finally {
                buffer.compact();
            }
            if (frame != null) {
                if (frame.type().isRequest()) {
                    throw new AgentClientException(AgentClientException.Kind.PROTOCOL,
                            "agent replied with a request frame (" + frame.type() + ")", null);
                }
                return frame;
            }
            int n = channel.read(buffer);
            if (n < 0) {
                throw new AgentClientException(AgentClientException.Kind.PROTOCOL,
                        "agent closed the connection without a reply", null);
            }
            if (n == 0) {
                await(key, deadline, "waiting for the reply");
            }
        }
    }

    private void await(SelectionKey key, long deadline, String step) throws IOException, AgentClientException {
        long remaining = deadline - System.nanoTime();
        if (remaining <= 0 || key.selector().select(Math.max(1, TimeUnit.NANOSECONDS.toMillis(remaining))) == 0
                && System.nanoTime() - deadline >= 0) {
            throw new AgentClientException(AgentClientException.Kind.TIMEOUT,
                    "timed out after " + format(timeout) + " " + step + " (agent at '" + socket + "')", null);
        }
        key.selector().selectedKeys().clear();
    }

    static String reason(IOException e) {
        String message = e.getMessage();
        return message == null ? e.getClass().getSimpleName() : message.toLowerCase(Locale.ROOT);
    }

    private static String format(Duration d) {
        long ms = d.toMillis();
        return ms % 1000 == 0 ? (ms / 1000) + "s" : ms + "ms";
    }
}
