package dev.walden.recovery;

import dev.walden.wal.Lsn;
import java.time.OffsetDateTime;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Where a point-in-time recovery stops, and what happens there. Turned into PostgreSQL's
 * recovery_target_* settings in this one place.
 */
public sealed interface RecoveryTarget {
    /** Replay everything archived. */
    record Latest() implements RecoveryTarget {
    }

    /** Stop as soon as the backup is consistent (its end). */
    record Immediate() implements RecoveryTarget {
    }

    record Time(OffsetDateTime at) implements RecoveryTarget {
    }

    record AtLsn(Lsn lsn) implements RecoveryTarget {
    }

    record Xid(long xid) implements RecoveryTarget {
    }

    /** A restore point made with pg_create_restore_point. */
    record Name(String name) implements RecoveryTarget {
    }

    enum Action {
        PAUSE, PROMOTE, SHUTDOWN;

        public String setting() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** For messages: {@code time 2026-11-24T14:05:00Z}. */
    default String describe() {
        return switch (this) {
            case Latest l -> "the end of the archived WAL";
            case Immediate i -> "the end of the backup";
            case Time t -> "time " + t.at();
            case AtLsn l -> "LSN " + l.lsn();
            case Xid x -> "transaction " + x.xid();
            case Name n -> "restore point '" + n.name() + "'";
        };
    }

    /** The recovery_target* settings; timeline and action are the caller's. */
    default Map<String, String> settings(boolean exclusive) {
        Map<String, String> s = new LinkedHashMap<>();
        switch (this) {
            case Latest l -> {
            }
            case Immediate i -> s.put("recovery_target", "immediate");
            // PostgreSQL's own timestamptz form: it refuses some ISO-8601 spellings here
            case Time t -> s.put("recovery_target_time", t.at().format(
                    java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSSxxx")));
            case AtLsn l -> s.put("recovery_target_lsn", l.lsn().toString());
            case Xid x -> s.put("recovery_target_xid", Long.toString(x.xid()));
            case Name n -> s.put("recovery_target_name", n.name());
        }
        if (exclusive && !(this instanceof Latest) && !(this instanceof Immediate)) {
            s.put("recovery_target_inclusive", "off");
        }
        return s;
    }
}
