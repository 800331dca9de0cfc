package dev.walden.recovery;

import java.io.PrintWriter;

/** What a finished recovery prints: the same for {@code walden recover} and a copy into a database. */
public final class RecoveryReport {
    private RecoveryReport() {
    }

    /** The point reached, what the server says it replayed, the timeline, the state and what each phase took. */
    public static void print(PointInTimeRecovery.Recovered recovered, PointInTimeRecovery.Request request, PrintWriter out) {
        RecoveredServer.Outcome outcome = recovered.outcome().orElseThrow();
        if (request.standby().isPresent()) {
            out.println("standby of the primary (" + request.standby().get().primaryConninfo() + ")"
                    + request.standby().get().slot().map(s -> ", slot " + s).orElse(""));
        } else {
            out.println("reached " + request.target().describe() + ": " + outcome.stoppedAt()
                    .orElse("the end of the archived WAL"));
        }
        outcome.replayed().ifPresent(r -> {
            out.println("last WAL replayed: " + r.lsn().orElse("not known (could not ask the server: "
                    + r.unknownBecause().orElse("") + ")"));
            r.lastTransaction().ifPresent(t -> out.println("last transaction replayed: committed at " + t));
        });
        out.println("timeline: " + outcome.timeline().map(String::valueOf).orElse(recovered.timeline()
                + (request.standby().isPresent() ? " (a standby follows the primary's)" : " (not promoted)")));
        out.println("state: " + outcome.state());
        if (!request.privateCopy()) {
            recovered.staged().ifPresent(w -> out.println("staged WAL kept in " + w + (request.keepStaged()
                    && request.action() == RecoveryTarget.Action.PROMOTE ? " (--keep-staged)"
                    : ": the server reads it until it is promoted; remove it after that")));
        }
        PointInTimeRecovery.Phases p = recovered.phases();
        out.printf("phases: plan %.1f s, restore %.1f s, stage WAL %.1f s, recovery %.1f s (total %.1f s)%n",
                p.plan(), p.restore(), p.stage(), p.recover(), p.total());
        out.flush();
    }
}
