package org.fallow.hypervisor.core;

import org.fallow.abi.AbiProfile;

/**
 * Who issued a hypercall: a toolstack client (acts as dom0, may issue control ops and name foreign domains) or a
 * guest of one domain. {@code memory} resolves the caller's guest handles (its own physical memory for a guest, its
 * registered hypercall-buffer arena for a toolstack client).
 */
public record Caller(Role role, int domid, AbiProfile profile, GuestAddressSpace memory, Peer peer, int flags) {
    public enum Role { TOOLSTACK, GUEST }

    /** A caller whose HELLO had no flags. */
    public Caller(Role role, int domid, AbiProfile profile, GuestAddressSpace memory, Peer peer) {
        this(role, domid, profile, memory, peer, 0);
    }

    /** HELLO flag bit 0 (org.fallow.abi.wire.Hello#FLAG_VM_EVENT_RESPONSE_COMPAT): lenient vm_event response versions. */
    public boolean vmEventResponseCompat() { return (flags & 1) != 0; }

    public boolean privileged() { return role == Role.TOOLSTACK; }

    /** An in-process toolstack caller (tests, embedded use). */
    public static Caller toolstack(AbiProfile profile, GuestAddressSpace memory) {
        return new Caller(Role.TOOLSTACK, 0, profile, memory, Peer.NONE);
    }

    /** An in-process guest caller of domain {@code domid}. */
    public static Caller guest(int domid, AbiProfile profile, GuestAddressSpace memory) {
        return new Caller(Role.GUEST, domid, profile, memory, Peer.NONE);
    }

    @Override public String toString() {
        return (role == Role.TOOLSTACK ? "toolstack" : "guest d" + domid) + "/" + profile.label();
    }
}
