package org.fallow.hypervisor.net;

import org.fallow.abi.wire.HypercallFrame;

/**
 * A HYPERCALL frame as the decoder hands it on: the request id and the {@code privcmd_hypercall} fields read straight
 * from the receive buffer ({@link HypercallFrame}'s layout), without the payload array and {@code Frame} that other
 * frame types get. {@code args} has {@link HypercallFrame#NR_ARGS} entries.
 */
record HypercallRequest(long requestId, long op, long[] args) {}
