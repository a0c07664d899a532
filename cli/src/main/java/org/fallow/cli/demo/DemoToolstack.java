package org.fallow.cli.demo;

import org.fallow.cli.stats.StatsSource;

import java.io.IOException;

/** What the demo needs from the toolstack (libxc shim) while it runs. */
public interface DemoToolstack extends StatsSource {
    /** A created domain: its id and the per-domain secret its guest presents at handshake (hex). */
    record Created(int domid, String secretHex) { }

    /** Creates a domain for the guest (PoD-built when maxmem > memory) and unpauses it. */
    Created create(Scenario.Guest guest) throws IOException;

    /** mem-swap-target: the paging target (actmem) xenpaging should keep resident. */
    void setPagingTarget(int domid, long mib) throws IOException;

    void destroy(int domid) throws IOException;
}
