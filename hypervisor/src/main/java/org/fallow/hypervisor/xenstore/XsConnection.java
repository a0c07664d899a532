package org.fallow.hypervisor.xenstore;

/**
 * One xenstore client: the domain it speaks for (0 = the toolstack, which may access every path) and where its watch
 * events go.
 */
public interface XsConnection {
    int domid();

    boolean privileged();

    /** Delivers an XS_WATCH_EVENT for {@code path} with the watch's {@code token}; must not block. */
    void watchEvent(String path, String token);

    String describe();
}
