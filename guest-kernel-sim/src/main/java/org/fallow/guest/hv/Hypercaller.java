package org.fallow.guest.hv;

/**
 * Issues one hypercall from this guest's vCPU, like the {@code HYPERVISOR_*} inline stubs: a hypercall number and up to
 * five raw 64-bit arguments; pointer arguments are guest-physical addresses in this guest's own memory. Returns Xen's
 * signed result (non-negative, or a negated Xen errno).
 */
@FunctionalInterface
public interface Hypercaller {
    long hypercall(int op, long a0, long a1, long a2, long a3, long a4);

    default long hypercall(int op, long a0, long a1) { return hypercall(op, a0, a1, 0, 0, 0); }

    default long hypercall(int op, long a0) { return hypercall(op, a0, 0, 0, 0, 0); }
}
