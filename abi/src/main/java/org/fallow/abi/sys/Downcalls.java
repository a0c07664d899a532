package org.fallow.abi.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

/**
 * libc functions through java.lang.foreign, with the errno of each call captured (the JVM may overwrite the thread's
 * errno between the call and a later look at it, hence {@link Linker.Option#captureCallState}). A handle made by
 * {@link #withErrno} takes a call-state segment ({@link #callState}) as its first argument; {@link #errno} reads it
 * after a failed call. Used by the hypervisor's {@code Libc} and the client's socket calls.
 */
public final class Downcalls {
    private Downcalls() {}

    private static final Linker LINKER = Linker.nativeLinker();
    private static final Linker.Option ERRNO = Linker.Option.captureCallState("errno");
    private static final long ERRNO_OFFSET = Linker.Option.captureStateLayout().byteOffset(MemoryLayout.PathElement.groupElement("errno"));

    /** libc's {@code name}, errno captured; it must exist. */
    public static MethodHandle withErrno(String name, FunctionDescriptor d) {
        return LINKER.downcallHandle(LINKER.defaultLookup().findOrThrow(name), d, ERRNO);
    }

    /** libc's {@code name}, errno captured, if this libc exports it. */
    public static Optional<MethodHandle> withErrnoIfPresent(String name, FunctionDescriptor d) {
        return LINKER.defaultLookup().find(name).map(a -> LINKER.downcallHandle(a, d, ERRNO));
    }

    /** libc's {@code name} without errno (a call whose failure is not looked at). */
    public static MethodHandle plain(String name, FunctionDescriptor d) {
        return LINKER.downcallHandle(LINKER.defaultLookup().findOrThrow(name), d);
    }

    /** Room for one call's captured errno, from {@code arena}. */
    public static MemorySegment callState(Arena arena) {
        return arena.allocate(Linker.Option.captureStateLayout());
    }

    /** The errno the last call made with {@code state} captured. */
    public static int errno(MemorySegment state) {
        return state.get(ValueLayout.JAVA_INT, ERRNO_OFFSET);
    }
}
