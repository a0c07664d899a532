package org.fallow.cli.stats;

import org.fallow.cli.RunContext;

import java.io.IOException;

/** Opens a {@link StatsSource} over the libxc shim (getdomaininfo, get_pod_target, tmem LIST, physinfo). */
public final class ToolstackStats {
    private ToolstackStats() { }

    public static StatsSource open(RunContext ctx) throws IOException {
        throw new IOException("the libxc shim client is not in this build yet");
    }
}
