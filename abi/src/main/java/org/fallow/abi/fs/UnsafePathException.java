package org.fallow.abi.fs;

import java.io.IOException;

/** A path Fallow refuses to use: a link where a file should be, another user's directory or file, a writable-by-others directory, a file outside the run directory. The message says which and why. */
public final class UnsafePathException extends IOException {
    public UnsafePathException(String message) { super(message); }
}
