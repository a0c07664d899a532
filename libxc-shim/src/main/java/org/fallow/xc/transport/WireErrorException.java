package org.fallow.xc.transport;

import org.fallow.abi.XenErrno;

/** The hypervisor answered a request with an ERROR frame (PROTOCOL §1.2), or refused the handshake. */
public final class WireErrorException extends RuntimeException {
    private final int errno;
    private final long requestId;

    public WireErrorException(int errno, String text, long requestId) {
        super(XenErrno.name(errno) + " (" + errno + "): " + text + (requestId != 0 ? " [request " + requestId + "]" : ""));
        this.errno = errno;
        this.requestId = requestId;
    }

    /** An error whose {@code message} is already in words (with the errno as its detail). */
    public WireErrorException(int errno, String message, long requestId, boolean inWords) {
        super(inWords ? message : XenErrno.name(errno) + " (" + errno + "): " + message);
        this.errno = errno;
        this.requestId = requestId;
    }

    /** The negated Xen errno of the ERROR frame. */
    public int errno() { return errno; }

    public long requestId() { return requestId; }
}
