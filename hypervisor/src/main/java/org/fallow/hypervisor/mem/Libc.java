package org.fallow.hypervisor.mem;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import org.fallow.abi.sys.Downcalls;

/**
 * The two libc calls guest memory needs, through java.lang.foreign: {@code madvise(MADV_REMOVE)} punches a hole in a
 * shared file mapping (the frame's storage goes back to the host; it reads as zeros afterwards), and {@code stat}
 * reports a file's allocated 512-byte blocks (x86_64 glibc {@code struct stat}: 144 bytes, st_blocks at offset 64).
 */
public final class Libc {
    private Libc() {}

    public static final int MADV_REMOVE = 9;
    private static final int STAT_SIZE = 144, ST_BLOCKS = 64;

    private static final MethodHandle MADVISE = Downcalls.withErrno("madvise",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
    /** glibc exports {@code stat} since 2.33; absent on older ones (then {@link #allocatedBlocks} is unavailable). */
    private static final MethodHandle STAT = Downcalls.withErrnoIfPresent("stat",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS)).orElse(null);

    /**
     * Punches a hole over {@code len} bytes of a shared file mapping starting at {@code seg}'s page-aligned address.
     * {@code seg} itself is the downcall's argument, so the linker holds its mapping for the call: a concurrent close
     * of a shared arena fails instead of unmapping it under madvise (which would then punch whatever is mapped at that
     * address next), and a heap segment (no address of its own) is refused.
     */
    public static void punchHole(MemorySegment seg, long len) throws IOException {
        if (!seg.scope().isAlive()) throw new IllegalStateException("punchHole on a segment whose mapping is closed");
        if (!seg.isNative()) throw new IllegalArgumentException("punchHole on a heap segment");
        if (len < 0 || len > seg.byteSize()) throw new IndexOutOfBoundsException("punchHole of " + len + " bytes over a segment of " + seg.byteSize());
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = Downcalls.callState(a);
            int rc = (int) MADVISE.invokeExact(state, seg, len, MADV_REMOVE);
            if (rc != 0) throw new IOException("madvise(MADV_REMOVE) failed, errno " + Downcalls.errno(state));
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw new IOException("madvise downcall failed", t);
        }
    }

    /** st_blocks of {@code p}: allocated storage in 512-byte units (a sparse file's real size). */
    public static long allocatedBlocks(Path p) throws IOException {
        if (STAT == null) throw new IOException("this libc does not export stat()");
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = Downcalls.callState(a);
            MemorySegment buf = a.allocate(STAT_SIZE, 8);
            int rc = (int) STAT.invokeExact(state, a.allocateFrom(p.toString()), buf);
            if (rc != 0) throw new IOException("stat(" + p + ") failed, errno " + Downcalls.errno(state));
            return buf.get(ValueLayout.JAVA_LONG, ST_BLOCKS);
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw new IOException("stat downcall failed", t);
        }
    }
}
