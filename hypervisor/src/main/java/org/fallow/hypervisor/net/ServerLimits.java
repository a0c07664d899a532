package org.fallow.hypervisor.net;

/**
 * The bounds that keep one misbehaving client from hurting the others (docs/PROTOCOL.md §9). Defaults come from
 * system properties {@code fallow.limits.<name>} so an operator can raise them without a rebuild.
 *
 * @param maxInFlight        requests of one connection read but not yet answered (queued, running, or a MEM_FAULT
 *                           not yet resolved): at this many the server stops reading the connection, and reads again
 *                           at half of it
 * @param writeLowWater      bytes of replies waiting in a connection's send buffer at which it is writable again
 * @param writeHighWater     bytes waiting at which it becomes unwritable: the server stops reading it and stops
 *                           running its requests until the client has read below the low-water mark; unsolicited
 *                           xenstore watch events for it are dropped (counted) meanwhile, event-channel kicks are
 *                           coalesced into a pending bit per port and sent when it drains
 * @param maxUnauthenticated connections that have not completed HELLO; one more evicts the oldest of them
 * @param handshakeMillis    time a connection has to complete HELLO before it is closed
 * @param maxGuestPerDomain  guest connections of one domain; one more is refused -EMFILE in its HELLO_ACK
 * @param maxGuests          guest connections in all; one more is refused -ENFILE
 * @param maxToolstacks      toolstack connections; one more is refused -ENFILE
 * @param acceptsPerSecond   new connections accepted per second (a bucket of as many as {@link #ACCEPT_BURST} may
 *                           be taken at once); beyond it the listening socket is not read until the bucket refills
 *                           and connections wait in the kernel's listen backlog of {@link #LISTEN_BACKLOG}
 * @param pipelinedPerSecond a connection's pipelined requests per second beyond {@code pipelinedBurst}, while other
 *                           connections are open ({@link PipelinedRequestRate}, PROTOCOL §9.1.2); system properties
 *                           {@code fallow.pipelinedRequestsPerSecond} and {@code fallow.pipelinedRequestBurst}
 * @param pipelinedBurst     pipelined requests a connection may send at once
 */
public record ServerLimits(int maxInFlight, int writeLowWater, int writeHighWater, int maxUnauthenticated,
                           long handshakeMillis, int maxGuestPerDomain, int maxGuests, int maxToolstacks,
                           int acceptsPerSecond, long pipelinedPerSecond, long pipelinedBurst) {

    /** Connections accepted at once before the accept rate applies. */
    public static final int ACCEPT_BURST = 64;

    /** listen(2) backlog: connections the kernel queues while the server does not accept (a flood waits there). */
    public static final int LISTEN_BACKLOG = 128;

    public static ServerLimits defaults() {
        return new ServerLimits(
                Integer.getInteger("fallow.limits.maxInFlight", 256),
                Integer.getInteger("fallow.limits.writeLowWater", 64 * 1024),
                Integer.getInteger("fallow.limits.writeHighWater", 256 * 1024),
                Integer.getInteger("fallow.limits.maxUnauthenticated", 64),
                Long.getLong("fallow.limits.handshakeMillis", 5_000),
                Integer.getInteger("fallow.limits.maxGuestPerDomain", 32),
                Integer.getInteger("fallow.limits.maxGuests", 1024),
                Integer.getInteger("fallow.limits.maxToolstacks", 256),
                Integer.getInteger("fallow.limits.acceptsPerSecond", 2_000),
                Long.getLong("fallow.pipelinedRequestsPerSecond", 20_000),
                Long.getLong("fallow.pipelinedRequestBurst", 2_000));
    }

    public ServerLimits {
        if (maxInFlight < 2 || writeLowWater < 1 || writeHighWater < writeLowWater || maxUnauthenticated < 1
                || handshakeMillis < 1 || maxGuestPerDomain < 1 || maxGuests < 1 || maxToolstacks < 1 || acceptsPerSecond < 1
                || pipelinedPerSecond < 1 || pipelinedBurst < 1)
            throw new IllegalArgumentException("bad server limits " + this);
    }

    public ServerLimits withMaxInFlight(int n) {
        return new ServerLimits(n, writeLowWater, writeHighWater, maxUnauthenticated, handshakeMillis, maxGuestPerDomain, maxGuests, maxToolstacks, acceptsPerSecond, pipelinedPerSecond, pipelinedBurst);
    }

    public ServerLimits withWriteWaterMarks(int low, int high) {
        return new ServerLimits(maxInFlight, low, high, maxUnauthenticated, handshakeMillis, maxGuestPerDomain, maxGuests, maxToolstacks, acceptsPerSecond, pipelinedPerSecond, pipelinedBurst);
    }

    public ServerLimits withHandshake(int maxUnauth, long millis) {
        return new ServerLimits(maxInFlight, writeLowWater, writeHighWater, maxUnauth, millis, maxGuestPerDomain, maxGuests, maxToolstacks, acceptsPerSecond, pipelinedPerSecond, pipelinedBurst);
    }

    public ServerLimits withConnections(int perDomain, int guests, int toolstacks) {
        return new ServerLimits(maxInFlight, writeLowWater, writeHighWater, maxUnauthenticated, handshakeMillis, perDomain, guests, toolstacks, acceptsPerSecond, pipelinedPerSecond, pipelinedBurst);
    }

    public ServerLimits withAcceptsPerSecond(int n) {
        return new ServerLimits(maxInFlight, writeLowWater, writeHighWater, maxUnauthenticated, handshakeMillis, maxGuestPerDomain, maxGuests, maxToolstacks, n, pipelinedPerSecond, pipelinedBurst);
    }

    public ServerLimits withPipelinedRate(long perSecond, long burst) {
        return new ServerLimits(maxInFlight, writeLowWater, writeHighWater, maxUnauthenticated, handshakeMillis, maxGuestPerDomain, maxGuests, maxToolstacks, acceptsPerSecond, perSecond, burst);
    }
}
