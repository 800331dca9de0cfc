package dev.walden.agent.http;

import dev.walden.agent.Agent;
import dev.walden.db.ConnectionSettings;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.concurrent.TimeUnit;

/**
 * The agent's HTTP endpoint, on its own small event loop: {@code /metrics} (Prometheus text
 * format through Micrometer), {@code /health} (200 or 503 with the reason) and {@code /status}
 * (JSON). Requests only read what the probes found last: the {@link HealthProbe} (every 2 s), the
 * {@link DatabaseProbe} (every 10 s) and the {@link RepositoryProbe} (every 5 minutes, after each
 * job, and within 5 s of a change noted by a command run by hand), each on its own thread, so a hung store or database never makes the endpoint hang.
 * The archiving core knows nothing of it: it reports to {@link AgentMetrics}.
 */
public final class HttpEndpoint implements AutoCloseable {
    private final EventLoopGroup group;
    private final Channel channel;
    private final PrometheusMetrics metrics;
    private final HealthProbe health;
    private final DatabaseProbe database;
    private final RepositoryProbe repository;

    private HttpEndpoint(EventLoopGroup group, Channel channel, PrometheusMetrics metrics, HealthProbe health,
                         DatabaseProbe database, RepositoryProbe repository) {
        this.group = group;
        this.channel = channel;
        this.metrics = metrics;
        this.health = health;
        this.database = database;
        this.repository = repository;
    }

    /** Parses {@code http.listen}: {@code host:port}, or {@code off}. */
    public static java.util.Optional<InetSocketAddress> parseListen(String value) {
        return checkListen(value).map(unresolved -> new InetSocketAddress(unresolved.getHostString(),
                unresolved.getPort()));
    }

    /** Checks {@code http.listen} as {@link #parseListen} does, without resolving the host name. */
    public static java.util.Optional<InetSocketAddress> checkListen(String value) {
        String v = value.strip();
        if (v.equals("off") || v.isEmpty()) {
            return java.util.Optional.empty();
        }
        int colon = v.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("'" + v + "' is not host:port (or off)");
        }
        String host = v.substring(0, colon).replace("[", "").replace("]", "");
        int port;
        try {
            port = Integer.parseInt(v.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + v + "' has no port number");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " is out of range");
        }
        return java.util.Optional.of(InetSocketAddress.createUnresolved(host, port));
    }

    /**
     * Binds and starts the probes.
     *
     * @param metrics what the agent has been reporting to since it started
     * @param db how to reach the database the agent archives for (its health and pg_stat_archiver)
     */
    public static HttpEndpoint start(InetSocketAddress listen, Agent agent, PrometheusMetrics metrics,
                                     ConnectionSettings db, Clock clock) throws IOException {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        HttpEndpoint[] self = new HttpEndpoint[1];
        Channel channel;
        try {
            channel = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(16 * 1024),
                                    new Handler(self, agent));
                        }
                    }).bind(listen).sync().channel();
        } catch (InterruptedException e) {
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while binding the HTTP endpoint to " + listen, e);
        } catch (RuntimeException e) {
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            throw new IOException("cannot listen on " + listen + " for the HTTP endpoint (http.listen): "
                    + e.getMessage(), e);
        }
        DatabaseProbe database = new DatabaseProbe(db, clock);
        HealthProbe health = new HealthProbe(agent, database);
        RepositoryProbe repository = new RepositoryProbe(agent.repository(), agent.stats(), clock);
        metrics.bind(agent);
        database.bindTo(metrics.registry());
        metrics.bindNewestArchive(agent.stats(), database, clock);
        health.bindTo(metrics.registry());
        repository.bindTo(metrics.registry(), metrics::dumpSeconds);
        metrics.onRepositoryChanged(repository::refreshSoon);
        self[0] = new HttpEndpoint(group, channel, metrics, health, database, repository);
        database.start();
        health.start();
        repository.start();
        return self[0];
    }

    /** Where it listens (the port chosen when 0 was asked for). */
    public InetSocketAddress address() {
        return (InetSocketAddress) channel.localAddress();
    }

    private static final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        /** Set once bound: a request in the instant before gets a 503. */
        private final HttpEndpoint[] self;
        private final Agent agent;

        Handler(HttpEndpoint[] self, Agent agent) {
            this.self = self;
            this.agent = agent;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) throws Exception {
            HttpEndpoint endpoint = self[0];
            if (endpoint == null) {
                respond(ctx, HttpResponseStatus.SERVICE_UNAVAILABLE, "text/plain", "starting\n");
                return;
            }
            if (!request.method().equals(HttpMethod.GET) && !request.method().equals(HttpMethod.HEAD)) {
                respond(ctx, HttpResponseStatus.METHOD_NOT_ALLOWED, "text/plain", "GET only\n");
                return;
            }
            String path = new QueryStringDecoder(request.uri()).path();
            switch (path) {
                case "/metrics" -> respond(ctx, HttpResponseStatus.OK, "text/plain; version=0.0.4; charset=utf-8",
                        endpoint.metrics.scrape());
                case "/health" -> {
                    HealthProbe.Health h = endpoint.health.health();
                    respond(ctx, h.healthy() ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE,
                            "text/plain", (h.healthy() ? h.reason() : "unhealthy: " + h.reason()) + "\n");
                }
                case "/status" -> respond(ctx, HttpResponseStatus.OK, "application/json",
                        StatusDocument.render(agent, endpoint.health, endpoint.database, endpoint.repository));
                default -> respond(ctx, HttpResponseStatus.NOT_FOUND, "text/plain",
                        "not found; try /metrics, /health or /status\n");
            }
        }

        private void respond(ChannelHandlerContext ctx, HttpResponseStatus status, String type, String body) {
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                    Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, type);
            response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes());
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    @Override
    public void close() {
        health.close();
        database.close();
        repository.close();
        channel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        metrics.close();
    }
}
