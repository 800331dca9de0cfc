package dev.walden.agent.server;

import dev.walden.agent.jobs.AgentJobs;
import dev.walden.backup.BaseBackup;
import dev.walden.protocol.BackupRequest;
import dev.walden.protocol.ErrorCode;
import dev.walden.protocol.ErrorReply;
import dev.walden.protocol.Frame;
import dev.walden.protocol.FrameType;
import dev.walden.protocol.Meter;
import io.netty.channel.ChannelHandlerContext;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A BACKUP request on one connection: the job's phase lines as PROGRESS frames, its copying as
 * METER frames (at most one a second, none while the client leaves them unread), a heartbeat
 * while the backup runs silently, then OK or ERROR.
 */
final class BackupStream {
    /** How often a running backup shows it is alive when it has nothing else to say. */
    static final long HEARTBEAT_SECONDS = 30;
    private static final long METER_EVERY_NANOS = TimeUnit.SECONDS.toNanos(1);

    private BackupStream() {
    }

    /**
     * Runs the backup {@code request} asks for on {@code jobs} and streams it to the connection;
     * {@code done} runs on the connection's event loop once the reply is written.
     */
    static void run(ChannelHandlerContext ctx, BackupRequest request, AgentJobs jobs, Runnable done) {
        // The heartbeat speaks only once the backup has started: while it waits behind another
        // job (a dump that hangs, say) the client's silence timeout must be free to fire.
        AtomicLong lastSent = new AtomicLong(System.nanoTime());
        AtomicBoolean started = new AtomicBoolean();
        ctx.writeAndFlush(progress("backup queued"));
        ScheduledFuture<?> heartbeat = ctx.executor().scheduleAtFixedRate(() -> {
            if (started.get() && System.nanoTime() - lastSent.get() > TimeUnit.SECONDS.toNanos(HEARTBEAT_SECONDS - 1)) {
                lastSent.set(System.nanoTime());
                ctx.writeAndFlush(progress("backup still running"));
            }
        }, HEARTBEAT_SECONDS, HEARTBEAT_SECONDS, TimeUnit.SECONDS);
        String requester = request.requester().isEmpty() ? "agent request" : request.requester();
        // clients that send METER-less BACKUPs (an empty body: walden before METER existed) get lines only
        boolean meters = !request.requester().isEmpty();
        jobs.backup(new BaseBackup.Progress() {
            @Override
            public void report(String line) {
                started.set(true);
                lastSent.set(System.nanoTime());
                ctx.writeAndFlush(progress(line));
            }

            @Override
            public void copied(long bytesDone, long bytesTotal, long filesDone, long filesTotal) {
                long now = System.nanoTime();
                long last = lastSent.get();
                // one METER a second is plenty for a bar; the last file always gets one. A client
                // that leaves its replies unread gets none: the next one says more than a queued one
                if (!meters || !ctx.channel().isWritable()) {
                    return;
                }
                if (filesDone == filesTotal || (now - last >= METER_EVERY_NANOS && lastSent.compareAndSet(last, now))) {
                    lastSent.set(now);
                    ctx.writeAndFlush(new Meter("copying", "files", bytesDone, bytesTotal, filesDone, filesTotal).toFrame());
                }
            }
        }, BaseBackup.Type.parse(request.type()), requester).whenComplete((manifest, failure) -> ctx.executor().execute(() -> {
            heartbeat.cancel(false);
            if (failure != null) {
                Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                        ? failure.getCause() : failure;
                ctx.writeAndFlush(new ErrorReply(ErrorCode.BACKUP_FAILED, String.valueOf(cause.getMessage())).toFrame());
            } else if (!manifest.isComplete()) {
                ctx.writeAndFlush(new ErrorReply(ErrorCode.BACKUP_FAILED, "backup " + manifest.label()
                        + " is incomplete: " + manifest.statusDetail()).toFrame());
            } else {
                ctx.writeAndFlush(Frame.ok("backup " + manifest.label() + " complete (" + manifest.files().size()
                        + " files, WAL " + manifest.startWal() + " .. " + manifest.stopWal() + ")"));
            }
            done.run();
        }));
    }

    private static Frame progress(String line) {
        return new Frame(FrameType.PROGRESS, line.getBytes(StandardCharsets.UTF_8));
    }
}
