package org.fallow.conformance;

import org.fallow.abi.fs.SafeFiles;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

import static org.fallow.abi.xen.XenLayouts.U32_UNALIGNED;
import static org.fallow.abi.xen.XenLayouts.U64_UNALIGNED;
import static org.fallow.abi.xen.XenLayouts.U16_UNALIGNED;

/** A file mapped MAP_SHARED as a {@link MemorySegment} (arena files, dom&lt;D&gt;.mem, dom&lt;D&gt;.p2m; PROTOCOL §3). */
public final class MappedFile implements AutoCloseable {

    private final Arena arena = Arena.ofShared();
    private final MemorySegment seg;
    private final Path path;
    private final boolean created;

    private MappedFile(Path path, long size, boolean create) throws IOException {
        this.path = path;
        this.created = create;
        // PROTOCOL §3.1 / SECURITY.md: a new file is 0600 and made with O_EXCL|O_NOFOLLOW; existing ones are not followed
        try (FileChannel fc = create ? SafeFiles.replace(path) : SafeFiles.openExisting(path, true)) {
            if (create) fc.write(java.nio.ByteBuffer.allocate(1), size - 1);
            long len = size > 0 ? size : fc.size();
            this.seg = fc.map(FileChannel.MapMode.READ_WRITE, 0, len, arena);
        }
    }

    /** Creates a new 0600 file of {@code size} bytes (replacing what was there) and maps it; {@link #close} removes it. */
    public static MappedFile create(Path path, long size) throws IOException { return new MappedFile(path, size, true); }

    /** Maps an existing file whole. */
    public static MappedFile open(Path path) throws IOException { return new MappedFile(path, 0, false); }

    public MemorySegment segment() { return seg; }

    public Path path() { return path; }

    /** Unmaps; a file this object created is removed too. */
    @Override public void close() {
        arena.close();
        if (created) {
            try {
                java.nio.file.Files.deleteIfExists(path);
            } catch (IOException ignored) {
                // best effort: the hypervisor's restart removes stale arenas
            }
        }
    }
}
