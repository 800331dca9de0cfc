package dev.walden.agent;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
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
import dev.walden.catalog.BackupCatalog;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The agent's HTTP endpoint, on its own small event loop: {@code /metrics} (Prometheus text
 * format through Micrometer), {@code /health} (200 or 503 with the reason) and {@code /status}
 * (JSON: what {@code walden status} shows, plus health). The archiving core knows nothing of it:
 * metrics are read from {@link AgentStats} and the agent's status when scraped.
 *
 * <p>Health is probed off the event loop every {@link #PROBE_EVERY}: the repository must answer
 * (its {@code repository.json} read back) and archiving must not be failing (the last failure
 * newer than the last success). Requests only read the last verdict, so a hung store can make the
 * agent unhealthy but never makes the endpoint hang.
 */
public final class HttpEndpoint implements AutoCloseable {
    static final java.time.Duration PROBE_EVERY = java.time.Duration.ofSeconds(2);
    static final java.time.Duration BACKUP_PROBE_EVERY = java.time.Duration.ofMinutes(5);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final EventLoopGroup group;
    private final Channel channel;
    private final ScheduledExecutorService prober;
    private final PrometheusMeterRegistry registry;
    private volatile Health health = new Health(false, "not probed yet");
    /** Files PostgreSQL has finished and not yet archived ({@code archive_status/*.ready}); -1 unknown. */
    private volatile long readyFiles = -1;
    /** End of the newest usable base backup (Unix seconds), NaN when there is none or unknown. */
    private volatile double lastBackup = Double.NaN;
    private volatile long lastBackupProbe;

    private record Health(boolean healthy, String reason) {
    }

    private HttpEndpoint(EventLoopGroup group, Channel channel, ScheduledExecutorService prober,
                         PrometheusMeterRegistry registry) {
        this.group = group;
        this.channel = channel;
        this.prober = prober;
        this.registry = registry;
    }

    /** Parses {@code http.listen}: {@code host:port}, or {@code off}. */
    static java.util.Optional<InetSocketAddress> parseListen(String value) {
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
        return java.util.Optional.of(new InetSocketAddress(host, port));
    }

    public static HttpEndpoint start(InetSocketAddress listen, Agent agent, Clock clock) throws IOException {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        ScheduledExecutorService prober = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "walden-health");
            t.setDaemon(true);
            return t;
        });
        HttpEndpoint[] self = new HttpEndpoint[1];
        try {
            Channel channel = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(16 * 1024),
                                    new Handler(self, agent));
                        }
                    }).bind(listen).sync().channel();
            self[0] = new HttpEndpoint(group, channel, prober, registry);
        } catch (InterruptedException e) {
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while binding the HTTP endpoint to " + listen, e);
        } catch (RuntimeException e) {
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            throw new IOException("cannot listen on " + listen + " for the HTTP endpoint (http.listen): "
                    + e.getMessage(), e);
        }
        self[0].register(agent);
        prober.scheduleWithFixedDelay(() -> self[0].probe(agent, clock), 0, PROBE_EVERY.toMillis(),
                TimeUnit.MILLISECONDS);
        return self[0];
    }

    /** Where it listens (the port chosen when 0 was asked for). */
    public InetSocketAddress address() {
        return (InetSocketAddress) channel.localAddress();
    }

    private void register(Agent agent) {
        AgentStats stats = agent.stats();
        FunctionCounter.builder("walden.wal.archived.files", stats, AgentStats::archived)
                .description("WAL and history files newly stored in the repository").register(registry);
        FunctionCounter.builder("walden.wal.duplicate.pushes", stats, AgentStats::alreadyArchived)
                .description("pushes of files already archived with identical content").register(registry);
        FunctionCounter.builder("walden.wal.failures", stats, AgentStats::failed)
                .description("pushes answered with an error").register(registry);
        FunctionCounter.builder("walden.wal.archived", stats, AgentStats::originalBytes).baseUnit("bytes")
                .tag("kind", "original").description("bytes of WAL archived, as PostgreSQL wrote them")
                .register(registry);
        FunctionCounter.builder("walden.wal.archived", stats, AgentStats::storedBytes).baseUnit("bytes")
                .tag("kind", "stored").description("bytes of WAL archived, as stored (compressed)").register(registry);
        Gauge.builder("walden.wal.last.archived.timestamp", stats,
                        s -> s.lastArchivedAt().map(t -> t.toEpochMilli() / 1000.0).orElse(Double.NaN))
                .baseUnit("seconds").description("when the last file was archived (Unix time)").register(registry);
        Gauge.builder("walden.agent.queued", agent, a -> number(a.status().get("queued")))
                .description("pushes waiting for a worker").register(registry);
        Gauge.builder("walden.agent.running", agent, a -> number(a.status().get("running")))
                .description("files being archived now").register(registry);
        Gauge.builder("walden.wal.ready.files", this, e -> e.readyFiles < 0 ? Double.NaN : e.readyFiles)
                .description("WAL files PostgreSQL finished and has not archived yet (archive lag)").register(registry);
        Gauge.builder("walden.backup.last.success.timestamp", this, e -> e.lastBackup).baseUnit("seconds")
                .description("end of the newest usable base backup (Unix time), refreshed every 5 minutes")
                .register(registry);
        Gauge.builder("walden.agent.healthy", this, e -> e.health.healthy() ? 1 : 0)
                .description("1 when /health answers 200").register(registry);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
    }

    private static double number(String value) {
        try {
            return value == null ? Double.NaN : Double.parseDouble(value);
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }

    private void probe(Agent agent, Clock clock) {
        readyFiles = countReady(agent.config().pgWal().resolve("archive_status"));
        if (System.nanoTime() - lastBackupProbe > BACKUP_PROBE_EVERY.toNanos() || lastBackupProbe == 0) {
            lastBackupProbe = System.nanoTime();
            try {
                lastBackup = new BackupCatalog(agent.repository().storage()).list().stream()
                        .filter(BackupCatalog.Entry::usable).flatMap(e -> e.manifest().stream())
                        .mapToDouble(m -> Instant.parse(m.stopTime()).toEpochMilli() / 1000.0).max().orElse(Double.NaN);
            } catch (IOException | RuntimeException e) {
                // unknown until the next try; health says whether the repository answers
            }
        }
        try {
            try (var in = agent.repository().storage().read("repository.json")) {
                in.readAllBytes();
            }
        } catch (IOException | RuntimeException e) {
            health = new Health(false, "repository " + agent.repository().storage().describe()
                    + " does not answer: " + e.getMessage());
            return;
        }
        AgentStats stats = agent.stats();
        var failure = stats.lastFailure();
        Instant success = stats.lastArchivedAt().orElse(Instant.MIN);
        if (failure.isPresent() && failure.get().getKey().isAfter(success)) {
            health = new Health(false, "archiving is failing since " + failure.get().getKey() + ": "
                    + failure.get().getValue());
            return;
        }
        health = new Health(true, "ok");
    }

    private static long countReady(Path archiveStatus) {
        try (Stream<Path> files = Files.list(archiveStatus)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".ready")).count();
        } catch (IOException | RuntimeException e) {
            return -1;
        }
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
                        endpoint.registry.scrape());
                case "/health" -> {
                    Health h = endpoint.health;
                    respond(ctx, h.healthy() ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE,
                            "text/plain", (h.healthy() ? "ok" : "unhealthy: " + h.reason()) + "\n");
                }
                case "/status" -> {
                    Map<String, Object> status = new LinkedHashMap<>(agent.status());
                    status.put("healthy", endpoint.health.healthy());
                    status.put("health", endpoint.health.reason());
                    respond(ctx, HttpResponseStatus.OK, "application/json",
                            JSON.writerWithDefaultPrettyPrinter().writeValueAsString(status) + "\n");
                }
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
        prober.shutdownNow();
        channel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        registry.close();
    }
}
