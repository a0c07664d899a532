package org.fallow.abi.process;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SearchPathTest {
    @Test void anExecutableInOneOfTheDirectoriesIsFoundAPlainFileIsNot(@TempDir Path tmp) throws IOException {
        Path a = Files.createDirectory(tmp.resolve("a")), b = Files.createDirectory(tmp.resolve("b"));
        Files.writeString(b.resolve("tool"), "#!/bin/sh\n");
        Files.setPosixFilePermissions(b.resolve("tool"), PosixFilePermissions.fromString("rwx------"));
        Files.writeString(a.resolve("data"), "not a program");
        Files.setPosixFilePermissions(a.resolve("data"), PosixFilePermissions.fromString("rw-------"));

        assertTrue(SearchPath.contains(a + ":" + b, "tool"));
        assertTrue(SearchPath.contains("::" + b + ":", "tool"), "empty entries are skipped");
        assertFalse(SearchPath.contains(a.toString(), "tool"));
        assertFalse(SearchPath.contains(a + ":" + b, "data"));
        assertFalse(SearchPath.contains("", "tool"));
        assertFalse(SearchPath.contains(null, "tool"));
    }

    @Test void thisProcessFindsItsShell() {
        assertTrue(SearchPath.onPath("sh"), "sh is on every $PATH this project runs with, and in " + SearchPath.DEFAULT);
    }
}
