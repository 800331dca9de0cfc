package dev.walden.repo;

import java.io.IOException;

/** The storage holds no walden repository (no {@code repository.json}). */
public final class NoRepositoryException extends IOException {
    private static final long serialVersionUID = 1L;

    public NoRepositoryException(String storage) {
        super("no walden repository in " + storage + " (it has no " + Repository.INFO_KEY
                + "): create it with 'walden init', or check repository.path");
    }
}
