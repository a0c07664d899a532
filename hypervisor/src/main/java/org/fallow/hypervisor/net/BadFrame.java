package org.fallow.hypervisor.net;

/**
 * What the {@link FrameDecoder} passes on instead of a frame it refused (PROTOCOL §1.2): the handler answers it with
 * an ERROR in arrival order, after the replies to the requests before it. {@code fatal}: framing is lost, the
 * connection is closed after that ERROR.
 */
record BadFrame(long requestId, int errno, String reason, boolean fatal) {}
