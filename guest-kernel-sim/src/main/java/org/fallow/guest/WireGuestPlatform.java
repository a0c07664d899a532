package org.fallow.guest;

import org.fallow.abi.AbiProfile;
import org.fallow.guest.hv.Hypercaller;
import org.fallow.guest.hv.PhysMem;
import org.fallow.guest.hv.GuestMemoryPhysMem;
import org.fallow.xc.transport.HypervisorConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.function.LongConsumer;

/**
 * A guest attached over the wire: a guest-flavoured {@link HypervisorConnection} (HELLO as domain D with its handle),
 * its memory mapped from the hypervisor's run directory, MEM_FAULTs for non-present frames, and a xenstore watch on
 * {@code /local/domain/D/memory/target}.
 */
public final class WireGuestPlatform implements GuestPlatform {
    private static final Logger log = LoggerFactory.getLogger(WireGuestPlatform.class);

    private final HypervisorConnection conn;
    private final GuestMemoryPhysMem mem;
    private final int domid;
    private volatile boolean alive = true;

    private WireGuestPlatform(HypervisorConnection conn, int domid) throws IOException {
        this.conn = conn;
        this.domid = domid;
        conn.onDomainEvent((event, text) -> {
            log.warn("dom{}: domain event {} {}", domid, event == 1 ? "crashed" : event == 2 ? "destroyed" : event, text);
            alive = false;
        });
        this.mem = GuestMemoryPhysMem.map(conn.runDir(), domid, (gfn, write, vcpu) -> {
            try {
                return conn.memFault(gfn, write, vcpu);
            } catch (IOException e) {
                alive = false;
                throw e;
            }
        });
    }

    public static WireGuestPlatform connect(Path socket, int domid, byte[] handle, AbiProfile profile) throws IOException {
        HypervisorConnection c = HypervisorConnection.guest(socket, domid, handle, profile);
        try {
            return new WireGuestPlatform(c, domid);
        } catch (IOException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    public HypervisorConnection connection() { return conn; }

    @Override public int domid() { return domid; }

    @Override public PhysMem memory() { return mem; }

    @Override public Hypercaller hypercaller() {
        return (op, a0, a1, a2, a3, a4) -> {
            try {
                return conn.hypercall(op, a0, a1, a2, a3, a4);
            } catch (IOException e) {
                alive = false;
                throw new UncheckedIOException("hypercall " + op + " failed: hypervisor connection lost", e);
            }
        };
    }

    @Override public long watchTarget(LongConsumer onTargetKib) throws IOException {
        String base = "/local/domain/" + domid + "/memory/";
        String staticMax = conn.xenstore().readOrNull(base + "static-max");
        conn.xenstore().watch(base + "target", "balloon-d" + domid, path -> {
            try {
                String v = conn.xenstore().readOrNull(base + "target");
                if (v != null && !v.isBlank()) onTargetKib.accept(Long.parseLong(v.trim()));
            } catch (IOException | NumberFormatException e) {
                log.warn("dom{}: cannot read memory/target: {}", domid, e.toString());
            }
        });
        String now = conn.xenstore().readOrNull(base + "target");
        if (now != null && !now.isBlank()) onTargetKib.accept(Long.parseLong(now.trim()));
        return staticMax == null || staticMax.isBlank() ? -1 : Long.parseLong(staticMax.trim());
    }

    @Override public boolean alive() { return alive && conn.isOpen(); }

    @Override public void close() {
        conn.close();
        mem.close();
    }
}
