package dev.walden.restore;

import dev.walden.dump.LogicalDump;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a plain SQL dump holds, learned while its bytes stream past (written to this stream):
 * the tables it creates, the rows of each table's {@code COPY … FROM stdin} block (one line per
 * row in COPY's text format, ended by a line {@code \.}), and whether it ends with pg_dump's
 * closing "dump complete" line. A custom-format dump is read the same way through
 * {@code pg_restore --file=-}. Only the start of each line is kept, so a huge row costs nothing.
 */
public final class DumpContents extends OutputStream {
    private static final int LINE_PREFIX = 8192;
    /** One identifier as pg_dump writes it: lower-case unquoted, or double-quoted with "" inside. */
    private static final String IDENT = "(?:\"(?:[^\"]|\"\")*\"|[a-z_][a-z0-9_$]*)";
    private static final Pattern QUALIFIED = Pattern.compile(IDENT + "(?:\\." + IDENT + ")*");
    private static final Pattern CREATE = Pattern.compile("CREATE (?:UNLOGGED )?TABLE (.*)");
    private static final Pattern COPY = Pattern.compile("COPY (.*) FROM stdin;");
    private static final Pattern MARKER = Pattern.compile(Pattern.quote(LogicalDump.COMPLETE_MARKER));

    private final byte[] line = new byte[LINE_PREFIX];
    private int lineLength;
    private long lineBytes;
    private String copying;
    private long rows;
    private boolean ended;
    private long bytes;
    private final Set<String> tables = new LinkedHashSet<>();
    private final Map<String, Long> rowCounts = new LinkedHashMap<>();

    @Override
    public void write(int b) {
        bytes++;
        if (b == '\n') {
            endLine();
        } else {
            if (lineLength < LINE_PREFIX) {
                line[lineLength++] = (byte) b;
            }
            lineBytes++;
        }
    }

    @Override
    public void write(byte[] buffer, int offset, int length) {
        int end = offset + length;
        for (int i = offset; i < end; i++) {
            byte b = buffer[i];
            if (b == '\n') {
                bytes++;
                endLine();
            } else if (copying != null && lineLength >= 2) {
                // inside a data block only "\." matters: skip the rest of a long row quickly
                int next = i;
                while (next < end && buffer[next] != '\n') {
                    next++;
                }
                bytes += next - i;
                lineBytes += next - i;
                i = next - 1;
            } else {
                write(b);
            }
        }
    }

    private void endLine() {
        if (copying != null) {
            if (lineBytes == 2 && line[0] == '\\' && line[1] == '.') {
                rowCounts.merge(copying, rows, Long::sum);
                copying = null;
            } else {
                rows++;
            }
        } else {
            String text = new String(line, 0, lineLength, StandardCharsets.UTF_8);
            if (text.startsWith("CREATE ")) {
                table(CREATE, text).ifPresent(tables::add);
            } else if (text.startsWith("COPY ") && text.endsWith("FROM stdin;")) {
                Optional<String> table = table(COPY, text);
                if (table.isPresent()) {
                    copying = table.get();
                    rows = 0;
                }
            }
            if (MARKER.matcher(text).find()) {
                ended = true;
            } else if (!text.isBlank() && !text.startsWith("--") && !text.startsWith("\\unrestrict ")) {
                ended = false; // statements after the closing comment: not the end after all
            }
        }
        lineLength = 0;
        lineBytes = 0;
    }

    /** The qualified name at the start of what {@code pattern} captures, exactly as the dump writes it. */
    private static Optional<String> table(Pattern pattern, String text) {
        Matcher m = pattern.matcher(text);
        if (!m.matches()) {
            return Optional.empty();
        }
        Matcher name = QUALIFIED.matcher(m.group(1));
        return name.lookingAt() ? Optional.of(name.group()) : Optional.empty();
    }

    /**
     * Whether the dump ends with pg_dump's "dump complete" comment: after it come only comments,
     * blank lines and newer pg_dumps' unrestrict line.
     */
    public boolean complete() {
        return copying == null && ended;
    }

    /** Tables the dump creates, as qualified names quoted the way pg_dump quotes them. */
    public Set<String> tables() {
        return Collections.unmodifiableSet(tables);
    }

    /** Rows in each table's data block (tables without data don't appear). */
    public Map<String, Long> rows() {
        return Collections.unmodifiableMap(rowCounts);
    }

    public long totalRows() {
        return rowCounts.values().stream().mapToLong(Long::longValue).sum();
    }

    public long bytes() {
        return bytes;
    }
}
