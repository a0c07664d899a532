package org.fallow.hypervisor.net;

import org.fallow.abi.fs.SafeFiles;
import org.fallow.abi.fs.UnsafePathException;
import org.fallow.hypervisor.core.GuestAddressSpace;
import org.fallow.hypervisor.core.GuestFault;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.NoSuchFileException;

/**
 * A toolstack client's hypercall-buffer arena (PROTOCOL §3.1): the client's file mapped shared into the hypervisor.
 * Handle {@code h} is valid when {@code base <= h} and {@code h + len <= base + size}; it is arena offset
 * {@code h - base}. Everything else (including 0) faults.
 */
public final class ArenaAddressSpace implements GuestAddressSpace, AutoCloseable {
    public static final long PAGE = 4096;

    private final Arena arena;
    private final MemorySegment memory;
    private final long base;

    private ArenaAddressSpace(Arena arena, MemorySegment memory, long base) {
        this.arena = arena;
        this.memory = memory;
        this.base = base;
    }

    /**
     * Maps {@code path} as an arena at {@code base}. The file must be a regular file of the hypervisor's user directly
     * inside {@code runDir}, named without a symbolic link (docs/SECURITY.md: a client never makes the hypervisor open
     * a file it could not create itself); IllegalArgumentException says why the announcement is bad.
     */
    public static ArenaAddressSpace map(Path runDir, Path path, long base, long len) throws IOException {
        if (base == 0 || base % PAGE != 0) throw new IllegalArgumentException("arena_base 0x" + Long.toHexString(base) + " is not a non-zero page-aligned address");
        if (len <= 0 || len % PAGE != 0) throw new IllegalArgumentException("arena_len " + len + " is not a positive multiple of 4096");
        if (base + len < base) throw new IllegalArgumentException("arena wraps the address space");
        Path file;
        try {
            file = SafeFiles.requireDirectlyInside(runDir, path);
            SafeFiles.checkRegularOwned(file, SafeFiles.uid());
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("arena file " + path + " does not exist");
        } catch (UnsafePathException e) {
            throw new IllegalArgumentException("arena file refused: " + e.getMessage());
        }
        Arena arena = Arena.ofShared();
        try (FileChannel fc = SafeFiles.openExisting(file, true)) {
            SafeFiles.checkRegularOwned(file, SafeFiles.uid()); // the file opened is still the one checked
            if (fc.size() < len) throw new IllegalArgumentException("arena file " + path + " is shorter than " + len + " bytes");
            return new ArenaAddressSpace(arena, fc.map(FileChannel.MapMode.READ_WRITE, 0, len, arena), base);
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    @Override public MemorySegment map(long handle, long len) throws GuestFault {
        long size = memory.byteSize();
        long off = handle - base; // handles are unsigned: compare as such, so a high handle cannot wrap to a small offset
        if (handle == 0 || len < 0 || Long.compareUnsigned(handle, base) < 0 || Long.compareUnsigned(off, size) > 0
                || len > size - off)
            throw new GuestFault(handle, len, "outside the arena [0x" + Long.toHexString(base) + ", +" + size + ")");
        return memory.asSlice(off, len);
    }

    public long base() { return base; }

    public long size() { return memory.byteSize(); }

    @Override public void close() { arena.close(); }
}
