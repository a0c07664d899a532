package org.fallow.guest.mem;

import org.fallow.abi.wire.P2mHeader;
import org.fallow.abi.xen.P2mType;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.zip.CRC32C;

import static org.fallow.abi.xen.XenLayouts.U32_UNALIGNED;
import static org.fallow.abi.xen.XenLayouts.U64_UNALIGNED;
import static org.fallow.abi.xen.XenLayouts.U32;

/**
 * A guest's physical memory as its vCPUs see it (docs/PROTOCOL.md §3.2-3.3): {@code dom<D>.mem} and the shared p2m
 * {@code dom<D>.p2m}, both mapped shared. Every access to a frame:
 * <ol>
 * <li>atomically adds one in-flight access to the gfn's p2m entry (a {@code lock xadd});</li>
 * <li>if the old type was {@code ram_rw}: accesses the frame, then removes the in-flight access;</li>
 * <li>otherwise removes it again, sends MEM_FAULT through the {@link FaultPort} (the vCPU waits) and retries, or fails
 *     with {@link GuestAccessException} when the hypervisor answers with an error.</li>
 * </ol>
 * Thread-safe: each vCPU thread passes its own vcpu id. The mapping follows the hypervisor when it grows the gfn
 * space (XEN_DOMCTL_max_mem): an access beyond the mapped frames re-reads the header's nr_frames and remaps.
 */
public final class GuestMemory implements AutoCloseable {
    public static final int PAGE = 4096;
    public static final int TYPE_RAM_RW = P2mType.P2M_RAM_RW;
    public static final int STATE_RUNNING = P2mHeader.STATE_RUNNING, STATE_PAUSED = P2mHeader.STATE_PAUSED,
            STATE_CRASHED = P2mHeader.STATE_CRASHED, STATE_DYING = P2mHeader.STATE_DYING;
    private static final int INFLIGHT = P2mHeader.INFLIGHT_ONE;
    private static final int MAX_RETRIES = 10_000;
    private static final VarHandle ENTRY = U32.varHandle();

    private record Mapping(MemorySegment mem, MemorySegment p2m, long frames) {}

    private final Path memPath;
    private final Path p2mPath;
    private final FaultPort port;
    private final List<Arena> arenas = new ArrayList<>();
    private final LongAdder faults = new LongAdder();
    private volatile Mapping map;

    private GuestMemory(Path memPath, Path p2mPath, FaultPort port) {
        this.memPath = memPath;
        this.p2mPath = p2mPath;
        this.port = port;
    }

    /** Maps domain {@code domid}'s memory files from the hypervisor's run directory. */
    public static GuestMemory map(Path runDir, int domid, FaultPort port) throws IOException {
        GuestMemory g = new GuestMemory(runDir.resolve("dom" + domid + ".mem"), runDir.resolve("dom" + domid + ".p2m"), port);
        g.remap();
        return g;
    }

    private synchronized void remap() throws IOException {
        Arena arena = Arena.ofShared();
        // the hypervisor's files: regular files of this user, never through a link (docs/SECURITY.md)
        try (FileChannel p = org.fallow.abi.fs.SafeFiles.openExisting(p2mPath, true);
             FileChannel m = org.fallow.abi.fs.SafeFiles.openExisting(memPath, true)) {
            P2mHeader header = new P2mHeader().wrap(p.map(FileChannel.MapMode.READ_ONLY, 0, P2mHeader.SIZE, arena), 0);
            if (!header.valid()) throw new IOException(p2mPath + " is not a p2m view (bad magic or version)");
            long frames = header.nrFrames();
            if (map != null && frames <= map.frames()) {
                arena.close();
                return;
            }
            MemorySegment p2m = p.map(FileChannel.MapMode.READ_WRITE, 0, P2mHeader.fileSize(frames), arena);
            MemorySegment mem = m.map(FileChannel.MapMode.READ_WRITE, 0, frames * PAGE, arena);
            arenas.add(arena);
            map = new Mapping(mem, p2m, frames);
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** Frames in the current mapping (the header's nr_frames when it was last read). */
    public long frames() { return map.frames(); }

    /** MEM_FAULTs this guest has sent. */
    public long faults() { return faults.sum(); }

    /** The header's domain_state: running, paused, crashed or dying. */
    public int domainState() { return map.p2m().get(U32_UNALIGNED, P2mHeader.DOMAIN_STATE_OFFSET); }

    /**
     * The p2m type of {@code gfn} (Xen 4.12 numbering; a racy snapshot): its entry's own type, or for an unset entry
     * populate_on_demand inside one of the header's PoD extents and invalid elsewhere (PROTOCOL §3.3).
     */
    public int p2mType(long gfn) { return P2mHeader.typeAt(mapFor(gfn).p2m(), gfn); }

    private Mapping mapFor(long gfn) {
        Mapping m = map;
        if (gfn >= 0 && gfn < m.frames()) return m;
        if (gfn >= 0) {
            try {
                remap();
            } catch (IOException e) {
                throw new GuestAccessException(gfn, 0, "remapping guest memory: " + e.getMessage());
            }
            m = map;
            if (gfn < m.frames()) return m;
        }
        throw new GuestAccessException(gfn, 0, "outside guest memory (" + m.frames() + " frames)");
    }

    /** Runs {@code op} on the 4096-byte frame {@code gfn} under the access protocol and returns its result. */
    public <R> R access(long gfn, boolean write, int vcpu, Function<MemorySegment, R> op) {
        Mapping m = mapFor(gfn);
        long off = P2mHeader.entryOffset(gfn);
        for (int tries = 0; ; tries++) {
            int old = (int) ENTRY.getAndAdd(m.p2m(), off, INFLIGHT);
            if (P2mHeader.typeOf(old) == TYPE_RAM_RW) {
                try {
                    return op.apply(m.mem().asSlice(gfn * PAGE, PAGE));
                } finally {
                    ENTRY.getAndAdd(m.p2m(), off, -INFLIGHT);
                }
            }
            ENTRY.getAndAdd(m.p2m(), off, -INFLIGHT);
            if (tries >= MAX_RETRIES) throw new GuestAccessException(gfn, 0, "still not present after " + tries + " faults");
            faults.increment();
            long st;
            try {
                st = port.memFault(gfn, write, vcpu);
            } catch (IOException e) {
                throw new GuestAccessException(gfn, 0, "MEM_FAULT failed: " + e.getMessage());
            }
            if (st < 0) throw new GuestAccessException(gfn, st, "hypervisor refused the fault (domain state " + domainState() + ")");
        }
    }

    public void write(long gfn, int vcpu, Consumer<MemorySegment> op) {
        access(gfn, true, vcpu, f -> {
            op.accept(f);
            return null;
        });
    }

    public long readLong(long gfn, long offset, int vcpu) { return access(gfn, false, vcpu, f -> f.get(U64_UNALIGNED, offset)); }

    public void writeLong(long gfn, long offset, long value, int vcpu) { write(gfn, vcpu, f -> f.set(U64_UNALIGNED, offset, value)); }

    /** Copies bytes out of a frame. */
    public void read(long gfn, long offset, byte[] dst, int vcpu) {
        access(gfn, false, vcpu, f -> {
            MemorySegment.copy(f, ValueLayout.JAVA_BYTE, offset, dst, 0, dst.length);
            return null;
        });
    }

    /** Copies bytes into a frame. */
    public void write(long gfn, long offset, byte[] src, int vcpu) {
        write(gfn, vcpu, f -> MemorySegment.copy(src, 0, f, ValueLayout.JAVA_BYTE, offset, src.length));
    }

    /** Zeroes the whole frame (a scrubber's store). */
    public void zero(long gfn, int vcpu) { write(gfn, vcpu, f -> f.fill((byte) 0)); }

    /** Fills the frame with {@link #pattern}({@code gfn}, {@code seed}). */
    public void fillPattern(long gfn, long seed, int vcpu) {
        byte[] p = pattern(gfn, seed);
        write(gfn, 0, p, vcpu);
    }

    /** CRC32C of the frame's 4096 bytes, read under the protocol. */
    public long checksum(long gfn, int vcpu) {
        return access(gfn, false, vcpu, f -> {
            CRC32C c = new CRC32C();
            c.update(f.asByteBuffer());
            return c.getValue();
        });
    }

    /** A deterministic page of data that is never all zero. */
    public static byte[] pattern(long gfn, long seed) {
        byte[] p = new byte[PAGE];
        long x = gfn * 0x9E3779B97F4A7C15L ^ seed ^ 0xD1B54A32D192ED03L;
        for (int i = 0; i < PAGE; i += 8) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            for (int b = 0; b < 8; b++) p[i + b] = (byte) (x >>> (8 * b));
        }
        p[0] |= 1;
        return p;
    }

    /** CRC32C of {@code data}. */
    public static long crc(byte[] data) {
        CRC32C c = new CRC32C();
        c.update(data);
        return c.getValue();
    }

    @Override public synchronized void close() {
        for (Arena a : arenas) a.close();
        arenas.clear();
    }
}
