package org.fallow.hypervisor.net;

import io.netty.channel.Channel;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import org.fallow.abi.fs.SafeFiles;

import java.io.IOException;

/**
 * The kernel's word on who is connected (SO_PEERCRED, taken when the peer called connect(2)), and who may be the
 * toolstack: the hypervisor's own user or root, as only root may open Xen's privcmd (docs/SECURITY.md).
 */
final class PeerUid {
    /** No credentials (not a Unix socket, or the kernel would not say): never the toolstack. */
    static final int UNKNOWN = -1;

    private PeerUid() {}

    /** The peer's uid on {@code ch}, or {@link #UNKNOWN}. */
    static int of(Channel ch) {
        if (!(ch instanceof EpollDomainSocketChannel e)) return UNKNOWN;
        try {
            return e.peerCredentials().uid();
        } catch (IOException | RuntimeException ex) {
            return UNKNOWN;
        }
    }

    /** May a peer of {@code uid} take the toolstack role of a hypervisor running as {@code hypervisorUid}? */
    static boolean mayBeToolstack(int uid, int hypervisorUid) { return uid != UNKNOWN && (uid == 0 || uid == hypervisorUid); }

    static boolean mayBeToolstack(int uid) { return mayBeToolstack(uid, SafeFiles.uid()); }
}
