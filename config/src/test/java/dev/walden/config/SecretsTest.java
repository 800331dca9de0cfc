package dev.walden.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

    @Test
    void secretsAreRecognisedByTheirLookAndTheirName() {
        assertTrue(Secrets.looksSecret("postgresql://walden:pa55@db:5432/app"));
        assertTrue(Secrets.looksSecret("host=db password=pa55"));
        assertFalse(Secrets.looksSecret("postgresql://walden@db:5432/app"), "no password in it");
        assertFalse(Secrets.looksSecret("https://minio.internal:9000"));
        assertFalse(Secrets.looksSecret("/var/lib/postgresql/15/main"));
        for (String name : new String[] {"PGPASSWORD", "DB_PASSWORD", "db_passwd", "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN", "GITHUB_TOKEN"}) {
            assertTrue(Secrets.isSecretVariable(name), name);
        }
        for (String name : new String[] {"DB_HOST", "DB_USER", "PGUSER", "AWS_ACCESS_KEY_ID", "DATABASE_URL"}) {
            assertFalse(Secrets.isSecretVariable(name), name);
        }
    }
}
