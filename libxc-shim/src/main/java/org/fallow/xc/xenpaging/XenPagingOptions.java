package org.fallow.xc.xenpaging;

import java.nio.file.Path;

/** xenpaging's command line: {@code -d domid -f pagefile [-m max_memkb] [-r mru_size] [-v]}. */
public record XenPagingOptions(int domid, Path pagefile, long maxMemKb, int mruSize, boolean verbose) {
    public XenPagingOptions {
        if (domid <= 0) throw new IllegalArgumentException("a domain id other than 0 is required (-d)");
        if (pagefile == null) throw new IllegalArgumentException("a pagefile is required (-f)");
    }
}
