package dev.walden.db;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ConnectionUriTest {
    @Test
    void namesWithSpacesQuotesAndDelimitersArePercentEncoded() throws Exception {
        String db = "it's \"the\" db/2?x=1&y@z%";
        String user = "o'brien@corp";
        String uri = ConnectionUri.of(user, Optional.of("/tmp/walden sock"), 5433, db);
        assertEquals("postgresql://o%27brien%40corp@localhost:5433/it%27s%20%22the%22%20db%2F2%3Fx%3D1%26y%40z%25"
                + "?host=/tmp/walden%20sock", uri);
        // a generic URI parser reads the parts back as they were
        URI parsed = new URI(uri);
        assertEquals(user, parsed.getUserInfo());
        assertEquals("/" + db, parsed.getPath());
        assertEquals("host=/tmp/walden sock", URLDecoder.decode(parsed.getRawQuery(), StandardCharsets.UTF_8));
    }

    @Test
    void hostsAsLibpqWritesThem() {
        assertEquals("postgresql://app@localhost:5432/shop", ConnectionUri.of("app", Optional.empty(), 5432, "shop"));
        assertEquals("postgresql://app@db.example.com:6432/shop",
                ConnectionUri.of("app", Optional.of("db.example.com"), 6432, "shop"));
        assertEquals("postgresql://app@[::1]:5432/shop", ConnectionUri.of("app", Optional.of("::1"), 5432, "shop"));
        assertEquals("postgresql://%C3%A5sa@localhost:5432/caf%C3%A9",
                ConnectionUri.of("åsa", Optional.empty(), 5432, "café"));
    }
}
