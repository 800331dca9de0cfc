package dev.walden.agent;

import dev.walden.protocol.FrameCodec;
import dev.walden.protocol.Frame;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * Netty adapter around {@link FrameCodec#decode}: the wire format is parsed there and only there.
 * After the first protocol error the stream can't be trusted, so everything after it is
 * discarded and the error travels to {@link RequestHandler}, which answers and closes.
 */
public final class FrameDecoder extends ByteToMessageDecoder {
    private boolean failed;

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
        if (failed) {
            in.skipBytes(in.readableBytes());
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
}
