/*
 * walden agent protocol, version 1: the constants the C clients need.
 *
 * The Java definitions are the source of truth (protocol/src/main/java/dev/walden/protocol/:
 * FrameCodec, FrameType, ErrorCode, PushRequest; archive-command's WaldenPush for the exit codes;
 * protocol/.../config/ConfigKeys for the key names). NativeProtocolHeaderTest (walden-dist) reads
 * this file and fails the build when any value here differs from them or one is missing, so the
 * two sides can't drift. docs/protocol.md describes the format.
 */
#ifndef WALDEN_PROTOCOL_H
#define WALDEN_PROTOCOL_H

/* Frame: magic 'W' 'L', version, type, u32 big-endian body length, body. */
#define WALDEN_MAGIC_0 0x57
#define WALDEN_MAGIC_1 0x4C
#define WALDEN_PROTOCOL_VERSION 1
#define WALDEN_HEADER_LENGTH 8
#define WALDEN_MAX_BODY_LENGTH 65536
#define WALDEN_MAX_PATH_BYTES 4096

/* Frame types: requests have the high bit clear, replies have it set. */
#define WALDEN_FRAME_PUSH 0x01
#define WALDEN_FRAME_PING 0x02
#define WALDEN_FRAME_STATUS 0x03
#define WALDEN_FRAME_BACKUP 0x04
#define WALDEN_FRAME_FETCHED 0x05
#define WALDEN_FRAME_FETCH 0x06
#define WALDEN_FRAME_OK 0x80
#define WALDEN_FRAME_ERROR 0x81
#define WALDEN_FRAME_PROGRESS 0x82
#define WALDEN_FRAME_METER 0x83

/* Error codes of an ERROR reply (u16), with the names walden-push prints after the message. */
#define WALDEN_ERROR_CODES(X) \
    X(1, "bad_frame") \
    X(2, "unsupported_version") \
    X(3, "frame_too_large") \
    X(4, "unknown_request") \
    X(5, "bad_request") \
    X(6, "frame_timeout") \
    X(10, "bad_name") \
    X(11, "outside_pg_wal") \
    X(12, "file_not_found") \
    X(13, "bad_size") \
    X(14, "bad_header") \
    X(15, "foreign_system") \
    X(16, "duplicate_differs") \
    X(17, "read_failed") \
    X(18, "missing_history") \
    X(19, "corrupt_object") \
    X(20, "storage_failed") \
    X(21, "storage_timeout") \
    X(22, "overloaded") \
    X(23, "shutting_down") \
    X(24, "too_many_connections") \
    X(30, "backup_failed") \
    X(99, "internal")

/* walden-push's exit codes: 0 archived; all failures stay below 126 so PostgreSQL retries. */
#define WALDEN_EXIT_OK 0
#define WALDEN_EXIT_USAGE 2
#define WALDEN_EXIT_AGENT_NOT_RUNNING 3
#define WALDEN_EXIT_TIMEOUT 4
#define WALDEN_EXIT_REFUSED 5
#define WALDEN_EXIT_PROTOCOL_ERROR 6
#define WALDEN_EXIT_IO_ERROR 7

/* Configuration: the file walden-push reads when neither --config nor WALDEN_CONFIG names one,
 * the two keys it uses, and every key and reserved variable, so that an unknown key or WALDEN_*
 * variable is refused exactly as the Java commands refuse it. */
#define WALDEN_DEFAULT_CONFIG_FILE "/etc/walden/walden.conf"
#define WALDEN_KEY_AGENT_SOCKET "agent.socket"
#define WALDEN_KEY_PUSH_TIMEOUT "push.timeout"
#define WALDEN_DEFAULT_PUSH_TIMEOUT "60s"
#define WALDEN_KEY_FETCH_TIMEOUT "fetch.timeout"
#define WALDEN_DEFAULT_FETCH_TIMEOUT "5m"

/* walden-fetch's exit codes, those of walden fetch (FetchCommand): 1 only for "not in the archive". */
#define WALDEN_FETCH_EXIT_NOT_FOUND 1
#define WALDEN_FETCH_EXIT_USAGE 200
#define WALDEN_FETCH_EXIT_IO_ERROR 201
#define WALDEN_FETCH_EXIT_CORRUPT 202
#define WALDEN_CONFIG_KEYS \
    "pgdata", "pg_wal", "pg_bin", "repository.path", "repository.type", \
    "repository.s3.bucket", "repository.s3.prefix", "repository.s3.region", "repository.s3.endpoint", \
    "repository.s3.path_style", "repository.s3.sse", "repository.s3.kms_key_id", \
    "repository.s3.storage_class", "repository.s3.timeout", "repository.s3.attempts", \
    "repository.encryption", "repository.encryption.key_file", "repository.encryption.kms_key_id", \
    "repository.encryption.kms_region", "repository.encryption.kms_endpoint", "agent.socket", \
    "agent.socket_group", "agent.workers", "agent.queue_capacity", "agent.store_timeout", \
    "agent.shutdown_timeout", "agent.look_ahead", \
    "agent.max_connections", "agent.frame_timeout", "agent.stream", "agent.stream.flush", \
    "agent.stream.synchronous", \
    "http.listen", "compression", "compression.level", \
    "push.timeout", "fetch.timeout", "backup.workers", "backup.checkpoint", "backup.wal_timeout", \
    "backup.verify_checksums", "dump.databases", "dump.format", "dump.compression", "dump.timeout", \
    "retention.backup_days", "retention.backup_count", "retention.dump_days", "retention.dump_count", \
    "schedule", "schedule.jobs", "schedule.full", "schedule.drill", "schedule.verify", "drill.directory", "drill.amcheck", \
    "drill.checks", "log.format", "log.level"
#define WALDEN_RESERVED_ENVIRONMENT \
    "WALDEN_CONFIG", "WALDEN_HOME", "WALDEN_JAVA", "WALDEN_JAVA_OPTS", "WALDEN_PROGRESS", "WALDEN_NATIVE", \
    "WALDEN_NATIVE_LINK", "WALDEN_NATIVE_MAJORS", "WALDEN_REPOSITORY_PASSPHRASE"

#endif
