package dev.walden.agent;

import dev.walden.protocol.Frame;
import dev.walden.protocol.FrameCodec;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * Netty adapter around {@link FrameCodec#decode}: the wire format is parsed there and only there.
 * After the first protocol error the stream can't be trusted, so everything after it is
 * discarded and the error travels to {@link RequestHandler}, which answers and closes.
 *
 * <p>Decoding follows reading. While the channel isn't read (auto-read off: a request is in
 * progress, or the client isn't reading its replies) the decoder leaves the bytes it already has
 * undecoded, instead of turning a read's worth of pipelined requests into thousands of queued
 * frames. {@link #RESUME}, fired when reading starts again, decodes them.
 */
public final class FrameDecoder extends ByteToMessageDecoder {
    /** User event: the channel is read again; decode what was left undecoded. */
    static final Object RESUME = new Object() {
        @Override
        public String toString() {
            return "FrameDecoder.RESUME";
        }
    };

    private boolean failed;

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
        if (failed) {
            in.skipBytes(in.readableBytes());
            return;
        }
        if (!ctx.channel().config().isAutoRead()) {
            return;
        }
        ByteBuffer view = in.nioBuffer(in.readerIndex(), in.readableBytes());
        int before = view.position();
        Frame frame;
        try {
            frame = FrameCodec.decode(view);
        } catch (Exception e) {
            failed = true;
            in.skipBytes(in.readableBytes());
            throw e;
        }
        if (frame != null) {
            in.skipBytes(view.position() - before);
            out.add(frame);
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
}
