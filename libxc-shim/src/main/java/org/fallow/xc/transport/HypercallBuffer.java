package org.fallow.xc.transport;

import org.fallow.abi.fs.SafeFiles;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * The toolstack's hypercall-buffer arena (libxc's xc_hypercall_buffer, PROTOCOL §3.1): a file mapped shared by this
 * client and the hypervisor. Structs passed to hypercalls are allocated here; their guest handle is the address of
 * the mapping ({@link #base()}) plus their offset. First-fit allocator with coalescing free list, 64-byte granules.
 */
public final class HypercallBuffer implements AutoCloseable {
    public static final long PAGE = 4096;
    private static final long ALIGN = 64;

    /** One allocation; {@link #close()} returns it to the arena. */
    public final class Buf implements org.fallow.abi.toolstack.HypercallPort.Scratch {
        private final long offset;
        private final long size;
        private final MemorySegment segment;
        private boolean freed;

        private Buf(long offset, long size, long requested) {
            this.offset = offset;
            this.size = size;
            this.segment = memory.asSlice(offset, requested);
        }

        /** The bytes, to fill before and read after the hypercall. */
        public MemorySegment segment() { return segment; }

        /** The guest handle to pass as a hypercall argument. */
        public long handle() { return base + offset; }

        @Override public void close() {
            synchronized (HypercallBuffer.this) {
                if (freed) return;
                freed = true;
                release(offset, size);
            }
        }
    }

    private final Path file;
    private final Arena arena;
    private final MemorySegment memory;
    private final long base;
    private final TreeMap<Long, Long> free = new TreeMap<>(); // offset -> length

    private HypercallBuffer(Path file, Arena arena, MemorySegment memory) {
        this.file = file;
        this.arena = arena;
        this.memory = memory;
        this.base = memory.address();
        free.put(0L, memory.byteSize());
    }

    /** Creates {@code file} of {@code size} bytes (rounded up to pages) and maps it shared. */
    public static HypercallBuffer create(Path file, long size) throws IOException {
        long len = Math.max(PAGE, (size + PAGE - 1) / PAGE * PAGE);
        Arena arena = Arena.ofShared();
        try (FileChannel fc = SafeFiles.createNew(file)) { // 0600, O_EXCL, O_NOFOLLOW
            fc.truncate(len);
            fc.write(java.nio.ByteBuffer.wrap(new byte[1]), len - 1); // size the file
            return new HypercallBuffer(file, arena, fc.map(FileChannel.MapMode.READ_WRITE, 0, len, arena));
        } catch (IOException | RuntimeException e) {
            arena.close();
            Files.deleteIfExists(file);
            throw e;
        }
    }

    public Path file() { return file; }

    /** The arena's address in this process (HELLO arena_base): page-aligned and non-zero. */
    public long base() { return base; }

    public long size() { return memory.byteSize(); }

    /** The whole arena (tests, debugging). */
    public MemorySegment memory() { return memory; }

    /** Allocates {@code size} zeroed bytes; OutOfMemoryError-free: throws IllegalStateException when the arena is full. */
    public synchronized Buf allocate(long size) {
        if (size <= 0) throw new IllegalArgumentException("allocation of " + size + " bytes");
        long want = (size + ALIGN - 1) / ALIGN * ALIGN;
        for (Map.Entry<Long, Long> e : free.entrySet()) {
            if (e.getValue() >= want) {
                long off = e.getKey();
                free.remove(off);
                if (e.getValue() > want) free.put(off + want, e.getValue() - want);
                Buf b = new Buf(off, want, size);
                b.segment().fill((byte) 0);
                return b;
            }
        }
        throw new IllegalStateException("hypercall buffer arena full: " + size + " bytes wanted, " + freeBytes() + " free");
    }

    /** Allocates a buffer holding a copy of {@code src}. */
    public Buf copyOf(MemorySegment src) {
        Buf b = allocate(src.byteSize());
        b.segment().copyFrom(src);
        return b;
    }

    public synchronized long freeBytes() { return free.values().stream().mapToLong(Long::longValue).sum(); }

    private void release(long off, long len) {
        Map.Entry<Long, Long> next = free.ceilingEntry(off);
        if (next != null && off + len == next.getKey()) {
            free.remove(next.getKey());
            len += next.getValue();
        }
        Map.Entry<Long, Long> prev = free.floorEntry(off);
        if (prev != null && prev.getKey() + prev.getValue() == off) {
            free.put(prev.getKey(), prev.getValue() + len);
        } else {
            free.put(off, len);
        }
    }

    @Override public void close() throws IOException {
        arena.close();
        Files.deleteIfExists(file);
    }
}
