package org.fallow.hypervisor.core;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * One domain. Subsystems keep their per-domain state as typed parts ({@code domain.part(TmemClient.class, ...)}),
 * so the domain itself only knows identity and life-cycle state.
 */
public final class Domain {
    public enum State { RUNNING, PAUSED, CRASHED, DYING }

    private final int domid;
    private final byte[] handle;
    private final int maxVcpus;
    private volatile State state = State.PAUSED;
    private volatile String crashReason;
    private volatile DomainMemory memory;
    private final Map<Class<?>, Object> parts = new ConcurrentHashMap<>();

    public Domain(int domid, byte[] handle, int maxVcpus) {
        if (handle.length != 16) throw new IllegalArgumentException("domain handle must be 16 bytes");
        this.domid = domid;
        this.handle = handle.clone();
        this.maxVcpus = maxVcpus;
    }

    public int domid() { return domid; }

    /** xen_domain_handle_t (the VM's UUID). Guests present it at handshake as their per-domain secret. */
    public byte[] handle() { return handle.clone(); }

    public boolean handleMatches(byte[] candidate) { return java.security.MessageDigest.isEqual(handle, candidate); }

    public int maxVcpus() { return maxVcpus; }

    public State state() { return state; }

    public void state(State s) { state = s; }

    public boolean dying() { return state == State.DYING; }

    public String crashReason() { return crashReason; }

    public void crashed(String reason) {
        crashReason = reason;
        state = State.CRASHED;
    }

    public DomainMemory memory() { return memory; }

    public void memory(DomainMemory m) { memory = m; }

    @SuppressWarnings("unchecked")
    public <T> T part(Class<T> type) { return (T) parts.get(type); }

    @SuppressWarnings("unchecked")
    public <T> T part(Class<T> type, Supplier<? extends T> create) { return (T) parts.computeIfAbsent(type, k -> create.get()); }

    public <T> void attach(Class<T> type, T value) { parts.put(type, value); }

    public <T> T detach(Class<T> type) { return type.cast(parts.remove(type)); }

    @Override public String toString() {
        return "d" + domid + "[" + state + ", handle " + HexFormat.of().formatHex(handle) + "]";
    }

    @Override public boolean equals(Object o) { return o instanceof Domain d && d.domid == domid && Arrays.equals(d.handle, handle); }

    @Override public int hashCode() { return domid; }
}
