package dev.walden.crypto;

import java.io.IOException;

/**
 * An encrypted object failed authentication: changed, truncated, renamed, swapped with another,
 * or not written with this repository's keys. The message names the object; the storage itself
 * answered fine, so this is damage, not a failed read.
 */
public class ObjectAuthenticationException extends IOException {
    private static final long serialVersionUID = 1L;

    public ObjectAuthenticationException(String message) {
        super(message);
    }

    public ObjectAuthenticationException(String message, Throwable cause) {
        super(message, cause);
    }
}
