package org.fallow.xc.xenpaging;

import org.fallow.abi.xen.VmEventRequest;
import java.nio.file.Path;

/** xenpaging's command line: {@code -d domid -f pagefile [-m max_memkb] [-r mru_size] [-v]}. */
public record XenPagingOptions(int domid, Path pagefile, long maxMemKb, int mruSize, boolean verbose, int vmEventVersion) {
    /** Options with vm_event interface version 4 (Xen 4.12). */
    public XenPagingOptions(int domid, Path pagefile, long maxMemKb, int mruSize, boolean verbose) {
        this(domid, pagefile, maxMemKb, mruSize, verbose, 4);
    }

    public XenPagingOptions {
        if (domid <= 0) throw new IllegalArgumentException("a domain id other than 0 is required (-d)");
        if (pagefile == null) throw new IllegalArgumentException("a pagefile is required (-f)");
        VmEventRequest.entrySize(vmEventVersion); // 4 or 7
    }
}
