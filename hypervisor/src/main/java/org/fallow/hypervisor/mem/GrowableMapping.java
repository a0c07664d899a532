package org.fallow.hypervisor.mem;

import org.fallow.abi.fs.SafeFiles;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * A file mapped shared, READ_WRITE from offset 0, that only grows: the common part of {@link GuestMemoryFile} and
 * {@link P2m}. A grow maps the new size in a fresh shared arena, lets the caller initialise the new mapping, and only
 * then publishes it and closes the old arena (so segments from before a grow must not be used after it).
 * Not thread-safe.
 */
final class GrowableMapping implements AutoCloseable {
    private final Path path;
    private final FileChannel channel;
    private Arena arena;
    private MemorySegment segment = MemorySegment.NULL;

    private GrowableMapping(Path path, FileChannel channel) {
        this.path = path;
        this.channel = channel;
    }

    /** Creates an empty, unmapped 0600 file (a stale entry of that name is removed, a link never followed). */
    static GrowableMapping create(Path path) throws IOException {
        return new GrowableMapping(path, SafeFiles.replace(path));
    }

    Path path() { return path; }

    /** The current mapping ({@link MemorySegment#NULL} before the first grow and after close). */
    MemorySegment segment() { return segment; }

    /**
     * Extends the file to {@code bytes} and remaps it; {@code init} sees the new mapping before it replaces the old
     * one. On failure the old mapping stays.
     */
    MemorySegment grow(long bytes, Consumer<MemorySegment> init) throws IOException {
        Arena next = Arena.ofShared();
        MemorySegment seg;
        try {
            seg = channel.map(FileChannel.MapMode.READ_WRITE, 0, bytes, next);
            init.accept(seg);
        } catch (IOException | RuntimeException e) {
            next.close();
            throw e;
        }
        Arena old = arena;
        arena = next;
        segment = seg;
        if (old != null) old.close();
        return seg;
    }

    /** Unmaps and closes the file. */
    @Override public void close() {
        if (arena != null) arena.close();
        arena = null;
        segment = MemorySegment.NULL;
        try {
            channel.close();
        } catch (IOException ignored) {
            // nothing to do: the mapping is gone
        }
    }

    /** Unmaps and removes the file. */
    void closeAndDelete() {
        close();
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
