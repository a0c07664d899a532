package org.fallow.cli.demo;

import org.fallow.cli.RunContext;

import java.io.IOException;

/** The real {@link DemoToolstack} over the libxc shim. */
final class DemoToolstacks {
    private DemoToolstacks() { }

    static DemoToolstack open(RunContext ctx) throws IOException {
        throw new IOException("the libxc shim client is not in this build yet");
    }
}
