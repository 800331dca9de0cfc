package dev.walden.agent.server;

import dev.walden.agent.archive.AgentMetrics;
import dev.walden.agent.archive.ArchiveDispatcher;
import dev.walden.agent.jobs.AgentJobs;
import dev.walden.protocol.Frame;
import dev.walden.protocol.FrameCodec;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerDomainSocketChannel;
import io.netty.handler.timeout.IdleStateHandler;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.UnixDomainSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The Netty server on the agent's Unix domain socket. One event-loop thread is plenty: it only
 * decodes frames and hands work to the dispatcher; archiving happens on the workers.
 *
 * <p>What one client can cost the agent is bounded: at most {@code limits.maxConnections()}
 * connections at a time (one more is refused, {@link ConnectionLimit}); per connection at most
 * the write-buffer high-water mark of unread replies, after which the connection isn't read until
 * the client reads ({@link RequestHandler}); a request must arrive whole within the frame timeout
 * and a connection silent for the idle timeout is closed ({@link FrameDecoder}, {@link RequestHandler}).
 */
public final class AgentServer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(AgentServer.class.getName());
    /**
     * Replies a connection may leave unread before the agent stops reading it: a STATUS reply is
     * about 0.5 KiB, any reply at most 64 KiB, so one full reply always fits under the mark.
     */
    static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(32 * 1024, 64 * 1024);

    /** The socket's limits: see {@link AgentConfig} and docs/protocol.md. */
    public record Limits(Duration idleTimeout, Duration frameTimeout, int maxConnections) {
    }

    private final EventLoopGroup group;
    private final Channel channel;

    private AgentServer(EventLoopGroup group, Channel channel) {
        this.group = group;
        this.channel = channel;
    }

    public static AgentServer start(AgentSocket socket, ArchiveDispatcher dispatcher, Optional<AgentJobs> jobs,
                                    Supplier<Map<String, String>> status, Limits limits, AgentMetrics metrics)
            throws IOException {
        return start(socket, dispatcher, jobs, status, limits, metrics, Optional.empty());
    }

    /** As above; with {@code fetch}, the agent serves FETCH (restore_command) too. */
    public static AgentServer start(AgentSocket socket, ArchiveDispatcher dispatcher, Optional<AgentJobs> jobs,
                                    Supplier<Map<String, String>> status, Limits limits, AgentMetrics metrics,
                                    Optional<dev.walden.agent.fetch.WalFetchService> fetch) throws IOException {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        ConnectionLimit connections = new ConnectionLimit(limits.maxConnections(), socket.path(), System::nanoTime);
        Refusal refusal = new Refusal(connections.refusal());
        try {
            ServerBootstrap bootstrap = new ServerBootstrap()
                    .group(group)
                    .channel(NioServerDomainSocketChannel.class)
                    .childHandler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            if (!connections.tryOpen()) {
                                connections.refused().ifPresent(line -> LOG.log(Level.WARNING, line));
                                ch.config().setAutoRead(false);
                                ch.pipeline().addLast(refusal);
                                return;
                            }
                            ch.closeFuture().addListener(f -> connections.closed());
                            ch.config().setWriteBufferWaterMark(WATER_MARK);
                            ch.pipeline().addLast(
                                    new IdleStateHandler(limits.idleTimeout().toMillis(), 0, 0, TimeUnit.MILLISECONDS),
                                    new FrameDecoder(limits.frameTimeout()),
                                    new FrameEncoder(),
                                    new RequestHandler(dispatcher, jobs, status, metrics, fetch));
                        }
                    });
            Channel channel = bootstrap.bind(UnixDomainSocketAddress.of(socket.bindPath())).sync().channel();
            socket.publish();
            return new AgentServer(group, channel);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw new IOException("interrupted while binding " + socket.path(), e);
        } catch (IOException | RuntimeException e) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw new IOException("cannot listen on '" + socket.path() + "': " + e.getMessage(), e);
        }
    }

    /** A connection beyond agent.max_connections: told why, then closed, without reading anything from it. */
    @ChannelHandler.Sharable
    private static final class Refusal extends ChannelInboundHandlerAdapter {
        private final byte[] frame;

        Refusal(Frame refusal) {
            this.frame = FrameCodec.encode(refusal);
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            ctx.writeAndFlush(Unpooled.wrappedBuffer(frame));
            ctx.close();
        }
    }

    /** Stops accepting connections; connections already open keep being served. */
    public void stopAccepting() {
        channel.close().awaitUninterruptibly(1, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        stopAccepting();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(2, TimeUnit.SECONDS);
    }
}
