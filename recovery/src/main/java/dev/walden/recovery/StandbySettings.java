package dev.walden.recovery;

import java.util.Optional;

/**
 * What makes a recovered cluster a streaming standby of production ({@code walden recover
 * --standby}): it starts with {@code standby.signal}, catches up from the repository through
 * {@code walden fetch}, then streams from the primary.
 *
 * @param primaryConninfo {@code primary_conninfo}; never holds a password (libpq finds it in the
 *     server user's {@code ~/.pgpass})
 * @param slot {@code primary_slot_name}, when the standby streams through a slot
 * @param createSlot create the slot on the primary first, unless it exists
 * @param archiveAlways {@code archive_mode = always}: the standby archives what it receives too
 *     (into the same repository, where identical files are accepted); otherwise archiving is off
 */
public record StandbySettings(String primaryConninfo, Optional<String> slot, boolean createSlot,
                              boolean archiveAlways) {
    public StandbySettings {
        if (dev.walden.config.Secrets.looksSecret(primaryConninfo)) {
            throw new IllegalArgumentException("primary_conninfo must not hold a password (it would be in argv and "
                    + "in postgresql.auto.conf): put it in ~/.pgpass of the standby's server user");
        }
        slot.ifPresent(s -> {
            if (!s.matches("[a-z0-9_]{1,63}")) {
                throw new IllegalArgumentException("'" + s + "' is not a replication slot name (lower-case letters, "
                        + "digits and _, at most 63)");
            }
        });
        if (createSlot && slot.isEmpty()) {
            throw new IllegalArgumentException("creating a slot needs its name");
        }
    }
}
