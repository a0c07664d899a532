package org.fallow.conformance;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import static org.fallow.abi.xen.XenLayouts.U32_UNALIGNED;
import static org.fallow.abi.xen.XenLayouts.U64_UNALIGNED;
import static org.fallow.abi.xen.XenLayouts.U16_UNALIGNED;

/** A file mapped MAP_SHARED as a {@link MemorySegment} (arena files, dom&lt;D&gt;.mem, dom&lt;D&gt;.p2m; PROTOCOL §3). */
public final class MappedFile implements AutoCloseable {

    private final Arena arena = Arena.ofShared();
    private final MemorySegment seg;
    private final Path path;

    private MappedFile(Path path, long size, boolean create) throws IOException {
        this.path = path;
        var opts = create
                ? new StandardOpenOption[] {StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE}
                : new StandardOpenOption[] {StandardOpenOption.READ, StandardOpenOption.WRITE};
        try (FileChannel fc = FileChannel.open(path, opts)) {
            if (create) fc.truncate(0).write(java.nio.ByteBuffer.allocate(1), size - 1);
            long len = size > 0 ? size : fc.size();
            this.seg = fc.map(FileChannel.MapMode.READ_WRITE, 0, len, arena);
        }
    }

    /** Creates (truncates) a file of {@code size} bytes and maps it. */
    public static MappedFile create(Path path, long size) throws IOException { return new MappedFile(path, size, true); }

    /** Maps an existing file whole. */
    public static MappedFile open(Path path) throws IOException { return new MappedFile(path, 0, false); }

    public MemorySegment segment() { return seg; }

    public Path path() { return path; }

    @Override public void close() { arena.close(); }
}
