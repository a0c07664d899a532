package org.fallow.guest.crash;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

/**
 * The crash agent's jar: only a manifest naming {@link CrashAgent} as Premain-Class. The agent's classes and ByteBuddy
 * are on the child's class path already (the test class path), so nothing else goes in.
 */
final class AgentJar {
    private static Path jar;

    private AgentJar() {}

    static synchronized Path get() throws IOException {
        if (jar != null && Files.exists(jar)) return jar;
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "fcrash");
        Path f = dir.resolve("crash-agent.jar");
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        m.getMainAttributes().put(new Attributes.Name("Premain-Class"), CrashAgent.class.getName());
        m.getMainAttributes().put(new Attributes.Name("Can-Retransform-Classes"), "true");
        try (OutputStream o = org.fallow.abi.fs.SafeFiles.newStream(f); JarOutputStream j = new JarOutputStream(o, m)) {
            j.flush();
        }
        dir.toFile().deleteOnExit();
        f.toFile().deleteOnExit();
        jar = f;
        return f;
    }
}
