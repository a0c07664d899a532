package org.fallow.hypervisor.core;

/**
 * One hypercall (or one sub-op of a multiplexed hypercall). {@code args} are the five raw 64-bit arguments of the
 * privcmd_hypercall body. The return value is Xen's: a non-negative result or a negated Xen errno.
 * Handlers run on the hypervisor's dispatch thread (see {@link HypervisorCore}) and must not block.
 */
@FunctionalInterface
public interface HypercallHandler {
    long invoke(Caller caller, long[] args);
}
