package dev.walden.agent.server;

import dev.walden.config.ConfigKeys;
import dev.walden.config.Durations;
import dev.walden.protocol.ErrorCode;
import dev.walden.protocol.Frame;
import dev.walden.protocol.FrameCodec;
import dev.walden.protocol.ProtocolException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Netty adapter around {@link FrameCodec#decode}: the wire format is parsed there and only there.
 * After the first protocol error the stream can't be trusted, so everything after it is
 * discarded and the error travels to {@link RequestHandler}, which answers and closes.
 *
 * <p>Two limits on what one connection can make the agent hold or wait for:
 * <ul>
 *   <li>Decoding follows reading. While the channel isn't read (auto-read off: a request is in
 *       progress, or the client isn't reading its replies) the decoder leaves the bytes it already
 *       has undecoded, instead of turning a read's worth of pipelined requests into thousands of
 *       queued frames. {@link #RESUME}, fired when reading starts again, decodes them.</li>
 *   <li>A frame must arrive whole within the frame timeout of its first byte. A client that drips
 *       a request a byte at a time keeps the idle timeout from ever firing; this deadline doesn't
 *       care. It only runs while the agent reads: bytes that wait because the agent is busy (a
 *       BACKUP streaming its progress) are not the client's delay.</li>
 * </ul>
 */
public final class FrameDecoder extends ByteToMessageDecoder {
    /** User event: the channel is read again; decode what was left undecoded. */
    static final Object RESUME = new Object() {
        @Override
        public String toString() {
            return "FrameDecoder.RESUME";
        }
    };

    private final Duration frameTimeout;
    private boolean failed;
    /** Armed while a frame has begun to arrive and isn't complete. */
    private ScheduledFuture<?> deadline;

    public FrameDecoder(Duration frameTimeout) {
        this.frameTimeout = frameTimeout;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
        if (failed) {
            in.skipBytes(in.readableBytes());
            return;
        }
        if (!ctx.channel().config().isAutoRead()) {
            disarm(); // RESUME re-arms for what is left, from then on
            return;
        }
        ByteBuffer view = in.nioBuffer(in.readerIndex(), in.readableBytes());
        int before = view.position();
        Frame frame;
        try {
            frame = FrameCodec.decode(view);
        } catch (Exception e) {
            fail(in);
            throw e;
        }
        if (frame != null) {
            disarm();
            in.skipBytes(view.position() - before);
            out.add(frame);
        } else if (deadline == null) {
            deadline = ctx.executor().schedule(() -> expire(ctx), frameTimeout.toNanos(), TimeUnit.NANOSECONDS);
        }
    }

    private void expire(ChannelHandlerContext ctx) {
        deadline = null;
        if (failed || !ctx.channel().isActive() || !ctx.channel().config().isAutoRead()) {
            return;
        }
        ByteBuf in = internalBuffer();
        String arrived = in.readableBytes() >= FrameCodec.HEADER_LENGTH
                ? in.readableBytes() + " of " + (FrameCodec.HEADER_LENGTH + in.getUnsignedInt(in.readerIndex() + 4))
                + " bytes arrived" : in.readableBytes() + " byte(s) arrived";
        fail(in);
        ctx.fireExceptionCaught(new ProtocolException(ErrorCode.FRAME_TIMEOUT, "request not complete "
                + Durations.format(frameTimeout) + " after its first byte (" + ConfigKeys.AGENT_FRAME_TIMEOUT.name()
                + "): " + arrived + "; a client must send each request without pausing"));
    }

    private void fail(ByteBuf in) {
        failed = true;
        disarm();
        in.skipBytes(in.readableBytes());
    }

    private void disarm() {
        if (deadline != null) {
            deadline.cancel(false);
            deadline = null;
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
        if (event == RESUME) {
            if (actualReadableBytes() > 0) {
                // nothing new arrives from the socket to make ByteToMessageDecoder look at its buffer
                // again: an empty read makes it decode what it holds
                channelRead(ctx, Unpooled.EMPTY_BUFFER);
                channelReadComplete(ctx);
            }
            return;
        }
        super.userEventTriggered(ctx, event);
    }

    @Override
    protected void handlerRemoved0(ChannelHandlerContext ctx) {
        disarm();
    }
}
