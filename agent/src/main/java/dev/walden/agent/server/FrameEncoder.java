package dev.walden.agent.server;

import dev.walden.protocol.Frame;
import dev.walden.protocol.FrameCodec;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToByteEncoder;

/** Netty adapter around {@link FrameCodec#encode}. */
public final class FrameEncoder extends MessageToByteEncoder<Frame> {
    @Override
    protected void encode(ChannelHandlerContext ctx, Frame frame, ByteBuf out) {
        out.writeBytes(FrameCodec.encode(frame));
    }
}
