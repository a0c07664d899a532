package org.fallow.abi.fs;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Map;

/**
 * Where a process gets a secret (a domain handle) without it ever being on a command line, which every local user
 * can read with {@code ps} (docs/SECURITY.md). In order: a file ({@code --secret-file}; a regular file of this user
 * that group and others cannot read), an inherited file descriptor ({@code --secret-fd N}, e.g. {@code 3<file}), or
 * the environment variable {@link #ENV} (only this user and root can read /proc/PID/environ).
 */
public final class Secrets {
    /** The environment variable a guest's secret can be handed over in. */
    public static final String ENV = "FALLOW_SECRET";
    private static final int MAX_BYTES = 4096;

    private Secrets() {}

    /**
     * The secret as bytes from the first source given: {@code file}, then {@code fd} (&gt;= 0), then {@code env}'s
     * {@link #ENV}. The text is hex digits (surrounding white space ignored) of exactly {@code bytes} bytes.
     * IllegalArgumentException says what is missing or wrong.
     */
    public static byte[] read(Path file, int fd, Map<String, String> env, int bytes) throws IOException {
        String text;
        String from;
        if (file != null) {
            text = readFile(file);
            from = file.toString();
        } else if (fd >= 0) {
            text = readFd(fd);
            from = "file descriptor " + fd;
        } else if (env.get(ENV) != null && !env.get(ENV).isBlank()) {
            text = env.get(ENV);
            from = "$" + ENV;
        } else {
            throw new IllegalArgumentException("no secret: give --secret-file FILE, --secret-fd N or $" + ENV
                    + " (never on the command line, where ps shows it to every user)");
        }
        return parseHex(text.strip(), bytes, from);
    }

    static byte[] parseHex(String hex, int bytes, String from) {
        if (hex.length() != 2 * bytes || !hex.chars().allMatch(c -> Character.digit(c, 16) >= 0))
            throw new IllegalArgumentException("the secret from " + from + " is not " + 2 * bytes + " hex digits");
        return HexFormat.of().parseHex(hex);
    }

    private static String readFile(Path file) throws IOException {
        SafeFiles.checkRegularOwned(file, SafeFiles.uid());
        if ((SafeFiles.mode(file) & 0077) != 0)
            throw new UnsafePathException("secret file " + file + " is readable by others (mode "
                    + SafeFiles.octal(SafeFiles.mode(file) & 07777) + "); chmod 600 it");
        try (var ch = SafeFiles.openExisting(file, false); InputStream in = java.nio.channels.Channels.newInputStream(ch)) {
            return new String(in.readNBytes(MAX_BYTES), StandardCharsets.US_ASCII);
        }
    }

    private static String readFd(int fd) throws IOException {
        try (InputStream in = Files.newInputStream(Path.of("/proc/self/fd/" + fd))) {
            return new String(in.readNBytes(MAX_BYTES), StandardCharsets.US_ASCII);
        }
    }

    /** Writes {@code secret} as hex to a new 0600 file (for handing it to a process started later). */
    public static void writeFile(Path file, byte[] secret) throws IOException {
        SafeFiles.writeAtomically(file, HexFormat.of().formatHex(secret) + "\n");
    }
}
