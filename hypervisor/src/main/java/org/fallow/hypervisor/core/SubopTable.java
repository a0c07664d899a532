package org.fallow.hypervisor.core;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Registry of handlers for the sub-ops of a multiplexed hypercall (memory_op cmd, domctl cmd, sysctl cmd, ...).
 * Subsystems register their sub-ops at start-up; unknown sub-ops are the owner's to answer (usually -ENOSYS).
 */
public final class SubopTable<H> {
    private final String name;
    private final Map<Integer, H> handlers = new ConcurrentHashMap<>();

    public SubopTable(String name) { this.name = name; }

    public void register(int subop, H handler) {
        H old = handlers.putIfAbsent(subop, handler);
        if (old != null) throw new IllegalStateException(name + " sub-op " + subop + " registered twice");
    }

    /** The handler of {@code subop}, or null. */
    public H get(int subop) { return handlers.get(subop); }

    public String name() { return name; }
}
