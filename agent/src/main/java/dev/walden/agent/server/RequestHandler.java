package dev.walden.agent.server;

import dev.walden.agent.archive.AgentMetrics;
import dev.walden.agent.archive.ArchiveDispatcher;
import dev.walden.agent.jobs.AgentJobs;
import dev.walden.protocol.BackupRequest;
import dev.walden.protocol.ErrorCode;
import dev.walden.protocol.ErrorReply;
import dev.walden.agent.fetch.WalFetchService;
import dev.walden.protocol.FetchNotice;
import dev.walden.protocol.FetchRequest;
import dev.walden.protocol.Frame;
import dev.walden.protocol.ProtocolException;
import dev.walden.protocol.PushRequest;
import dev.walden.protocol.StatusReply;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.timeout.IdleStateEvent;
import java.lang.System.Logger.Level;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * One connection's requests. A connection carries one request at a time, and replies always come
 * back in request order. The handler reads the connection only while it can take a request: not
 * while a PUSH or BACKUP is in progress, and not while the client leaves its replies unread (the
 * channel is unwritable above the write-buffer high-water mark). Either way auto-read goes off, so
 * requests a client pipelined stay undecoded in {@link FrameDecoder} and in the socket, and a
 * client that never reads costs the agent at most the high-water mark in replies. BACKUP streams
 * its progress through {@link BackupStream}.
 */
public final class RequestHandler extends ChannelInboundHandlerAdapter {
    private static final System.Logger LOG = System.getLogger(RequestHandler.class.getName());

    private final ArchiveDispatcher dispatcher;
    private final Optional<AgentJobs> jobs;
    private final Supplier<Map<String, String>> status;
    private final AgentMetrics metrics;
    private final Optional<WalFetchService> fetch;
    /**
     * Requests decoded but not yet handled. The decoder stops as soon as reading stops, so this
     * holds at most the one frame that was being decoded when it did.
     */
    private final ArrayDeque<Frame> pending = new ArrayDeque<>();
    private boolean busy;
    private boolean reading = true;

    public RequestHandler(ArchiveDispatcher dispatcher, Supplier<Map<String, String>> status) {
        this(dispatcher, Optional.empty(), status, AgentMetrics.NONE, Optional.empty());
    }

    public RequestHandler(ArchiveDispatcher dispatcher, Optional<AgentJobs> jobs, Supplier<Map<String, String>> status,
                          AgentMetrics metrics, Optional<WalFetchService> fetch) {
        this.fetch = fetch;
        this.dispatcher = dispatcher;
        this.jobs = jobs;
        this.status = status;
        this.metrics = metrics;
    }

    /** Requests decoded and not yet handled. */
    int pending() {
        return pending.size();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        pending.add((Frame) msg);
        drain(ctx);
    }

    private void drain(ChannelHandlerContext ctx) {
        while (!busy && ctx.channel().isWritable() && !pending.isEmpty()) {
            handle(ctx, pending.poll());
        }
        // one switch for both reasons not to read, so neither can turn reading on while the other holds
        boolean read = !busy && ctx.channel().isWritable() && pending.isEmpty();
        if (read != reading) {
            reading = read;
            ctx.channel().config().setAutoRead(read);
            if (read) {
                ctx.pipeline().fireUserEventTriggered(FrameDecoder.RESUME);
            }
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        drain(ctx); // the client read its replies: take its next request
        super.channelWritabilityChanged(ctx);
    }

    private void handle(ChannelHandlerContext ctx, Frame frame) {
        switch (frame.type()) {
            case PING -> ctx.writeAndFlush(Frame.ok("pong"));
            case STATUS -> ctx.writeAndFlush(new StatusReply(status.get()).toFrame());
            case PUSH -> push(ctx, frame);
            case BACKUP -> backup(ctx, frame);
            case FETCHED -> fetched(ctx, frame);
            case FETCH -> fetch(ctx, frame);
            default -> ctx.writeAndFlush(new ErrorReply(ErrorCode.UNKNOWN_REQUEST,
                    frame.type() + " is a reply, not a request").toFrame());
        }
    }

    private void push(ChannelHandlerContext ctx, Frame frame) {
        PushRequest request;
        try {
            request = PushRequest.fromFrame(frame);
        } catch (ProtocolException e) {
            ctx.writeAndFlush(new ErrorReply(e.code(), e.getMessage()).toFrame());
            return;
        }
        busy = true;
        // A refusal (full queue, shutting down) is answered through the same callback, at once;
        // execute() still runs it after this method, so replies stay in request order.
        dispatcher.submit(request.path(), result -> ctx.executor().execute(() -> {
            busy = false;
            ctx.writeAndFlush(result.toFrame());
            drain(ctx);
        }));
    }

    private void fetch(ChannelHandlerContext ctx, Frame frame) {
        if (fetch.isEmpty()) {
            ctx.writeAndFlush(new ErrorReply(ErrorCode.UNKNOWN_REQUEST, "this agent does not serve FETCH").toFrame());
            return;
        }
        FetchRequest request;
        try {
            request = FetchRequest.fromFrame(frame);
        } catch (ProtocolException e) {
            ctx.writeAndFlush(new ErrorReply(e.code(), e.getMessage()).toFrame());
            return;
        }
        busy = true;
        fetch.get().fetch(request).whenComplete((reply, e) -> ctx.executor().execute(() -> {
            busy = false;
            Frame answer = reply != null ? reply : new ErrorReply(ErrorCode.INTERNAL, "fetch failed: " + e).toFrame();
            metrics.fetched(answer.type() == dev.walden.protocol.FrameType.OK ? FetchNotice.Result.FOUND
                    : answer.body().length >= 2 && ((answer.body()[0] & 0xff) << 8 | (answer.body()[1] & 0xff))
                    == ErrorCode.FILE_NOT_FOUND.code() ? FetchNotice.Result.MISSING : FetchNotice.Result.FAILED);
            ctx.writeAndFlush(answer);
            drain(ctx);
        }));
    }

    private void fetched(ChannelHandlerContext ctx, Frame frame) {
        try {
            metrics.fetched(FetchNotice.fromFrame(frame).result());
            ctx.writeAndFlush(Frame.ok("noted"));
        } catch (ProtocolException e) {
            ctx.writeAndFlush(new ErrorReply(e.code(), e.getMessage()).toFrame());
        }
    }

    private void backup(ChannelHandlerContext ctx, Frame request) {
        if (jobs.isEmpty()) {
            ctx.writeAndFlush(new ErrorReply(ErrorCode.BACKUP_FAILED, "this agent runs without backup settings")
                    .toFrame());
            return;
        }
        BackupRequest backup;
        try {
            backup = BackupRequest.fromFrame(request);
        } catch (ProtocolException e) {
            ctx.writeAndFlush(new ErrorReply(e.code(), e.getMessage()).toFrame());
            return;
        }
        busy = true;
        BackupStream.run(ctx, backup, jobs.get(), () -> {
            busy = false;
            drain(ctx);
        });
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
        if (event instanceof IdleStateEvent && !busy) {
            ctx.close(); // a client that connects and says nothing must not hold a connection forever
            return;
        }
        super.userEventTriggered(ctx, event);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        Throwable root = cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
        if (root instanceof ProtocolException e) {
            LOG.log(Level.WARNING, "closing " + PeerName.of(ctx.channel()) + ", which broke the protocol: "
                    + e.getMessage());
            // the answer is best effort: a client that reads nothing must not keep the connection by it
            ctx.writeAndFlush(new ErrorReply(e.code(), e.getMessage()).toFrame());
            ctx.close();
        } else {
            LOG.log(Level.WARNING, "closing a connection after an error: " + root, root);
            ctx.close();
        }
    }
}
