package dev.walden.restore;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/** The question before an existing database is dropped and replaced (-D without -f). */
public final class ReplaceConfirmation {
    private ReplaceConfirmation() {
    }

    /** Asks on the terminal (or whatever stdin is); anything but yes, or no answer at all, is no. */
    public static boolean ask(String target, PrintWriter out) throws IOException {
        out.printf("database '%s' exists and will be DROPPED and replaced by the restore. Type yes to go ahead: ",
                target);
        out.flush();
        String answer = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
        return answer != null && answer.strip().toLowerCase(Locale.ROOT).equals("yes");
    }
}
