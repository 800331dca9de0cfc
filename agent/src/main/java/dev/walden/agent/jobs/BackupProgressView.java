package dev.walden.agent.jobs;

import dev.walden.backup.BaseBackup;
import dev.walden.console.ProgressBar;
import dev.walden.protocol.AgentClient;
import dev.walden.protocol.Meter;
import java.io.PrintWriter;

/**
 * What {@code walden backup} shows, whether the backup runs here or in the agent: phase lines as
 * they come, and a progress bar (bytes, rate, ETA) while files are copied.
 */
public final class BackupProgressView implements BaseBackup.Progress, AgentClient.Progress {
    private final PrintWriter out;
    private ProgressBar bar;

    public BackupProgressView(PrintWriter out) {
        this.out = out;
    }

    @Override
    public synchronized void report(String line) {
        line(line);
    }

    @Override
    public synchronized void line(String line) {
        if (bar != null) {
            bar.finish(); // a bar being redrawn must end its line before text follows
            bar = null;
        }
        out.println(line);
        out.flush();
    }

    @Override
    public synchronized void copied(long bytesDone, long bytesTotal, long filesDone, long filesTotal) {
        if (bar == null) {
            bar = new ProgressBar(out, "copying", filesTotal, "files", bytesTotal);
        }
        bar.set(bytesDone, filesDone);
    }

    @Override
    public void meter(Meter meter) {
        copied(meter.bytesDone(), meter.bytesTotal(), meter.itemsDone(), meter.itemsTotal());
    }
}
