package org.fallow.cli.stats;

import java.io.IOException;

/** Takes samples of the hypervisor's own statistics through the toolstack API. */
public interface StatsSource extends AutoCloseable {
    HostSample sample() throws IOException;

    @Override void close() throws IOException;
}
