package dev.walden.crypto;

import java.io.IOException;

/** The key given does not open this repository's keyring: one line that names the key, never its bytes. */
public class WrongKeyException extends IOException {
    private static final long serialVersionUID = 1L;

    public WrongKeyException(String message) {
        super(message);
    }
}
