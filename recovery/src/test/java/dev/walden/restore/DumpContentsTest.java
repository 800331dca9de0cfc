package dev.walden.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DumpContentsTest {
    private static final String END = "\n--\n-- PostgreSQL database dump complete\n--\n\n";

    private static DumpContents read(String sql, int chunk) {
        DumpContents contents = new DumpContents();
        byte[] bytes = sql.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < bytes.length; i += chunk) {
            contents.write(bytes, i, Math.min(chunk, bytes.length - i));
        }
        return contents;
    }

    private static final String DUMP = """
            SET statement_timeout = 0;
            CREATE TABLE public.customers (
                id integer,
                name text
            );
            CREATE UNLOGGED TABLE "Sales"."Order ""Lines\""" (id integer);
            COPY public.customers (id, name) FROM stdin;
            1\tone
            2\ttwo with a \\\\. inside
            3\tCOPY public.fake (x) FROM stdin;
            \\.
            COPY "Sales"."Order ""Lines\""" (id) FROM stdin;
            \\.
            """ + END;

    @Test
    void countsTablesAndRowsWhateverTheChunking() {
        for (int chunk : List.of(1, 2, 3, 7, 64, 100_000)) {
            DumpContents contents = read(DUMP, chunk);
            assertEquals(Set.of("public.customers", "\"Sales\".\"Order \"\"Lines\"\"\""), contents.tables(),
                    "chunk " + chunk);
            assertEquals(Map.of("public.customers", 3L, "\"Sales\".\"Order \"\"Lines\"\"\"", 0L), contents.rows(),
                    "chunk " + chunk);
            assertEquals(3, contents.totalRows());
            assertTrue(contents.complete(), "chunk " + chunk);
            assertEquals(DUMP.getBytes(StandardCharsets.UTF_8).length, contents.bytes());
        }
    }

    @Test
    void aDumpCutShortIsIncomplete() {
        assertFalse(read(DUMP.substring(0, DUMP.indexOf("-- PostgreSQL database dump complete")), 5).complete());
        // cut inside a data block that happens to contain the marker text as a row
        assertFalse(read("COPY public.t (x) FROM stdin;\n-- PostgreSQL database dump complete\n", 4).complete());
    }

    @Test
    void statementsAfterTheClosingCommentMeanItIsNotTheEnd() {
        assertFalse(read(END + "DROP TABLE public.customers;\n", 8).complete());
        assertTrue(read(END + "\\unrestrict abc123\n\n", 8).complete(), "newer pg_dumps end like this");
    }

    @Test
    void aLongRowCostsNothingAndStillCounts() {
        String row = "x".repeat(1_000_000);
        DumpContents contents = read("COPY public.big (v) FROM stdin;\n" + row + "\n" + row + "\n\\.\n" + END, 65536);
        assertEquals(Map.of("public.big", 2L), contents.rows());
        assertTrue(contents.complete());
    }
}
