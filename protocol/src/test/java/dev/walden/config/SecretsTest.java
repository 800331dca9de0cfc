package dev.walden.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.junit.jupiter.api.Test;

class SecretsTest {
    @Test
    void environmentSecretsAndUrlPasswordsAreMasked() {
        Secrets.registerEnvironment(Map.of("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG",
                "DATABASE_URL", "postgresql://walden:pa55word-x@db.example:5432/app", "HOME", "/root"));
        assertEquals("key *** and *** here", Secrets.redact("key wJalrXUtnFEMI/K7MDENG and pa55word-x here"));
        assertEquals("postgres://u:***@h/db", Secrets.redact("postgres://u:other-pass@h/db"));
        assertEquals("PGPASSWORD=***", Secrets.redact("PGPASSWORD=whatever"));
        assertEquals("/root stays", Secrets.redact("/root stays"), "only secrets are masked");
    }

    @Test
    void shortValuesAreNotTakenForSecrets() {
        Secrets.register("ab");
        assertEquals("tab stays", Secrets.redact("tab stays"));
    }
}
