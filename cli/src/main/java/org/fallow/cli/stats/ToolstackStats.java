package org.fallow.cli.stats;

import org.fallow.xc.Physinfo;

import org.fallow.abi.AbiProfile;
import org.fallow.cli.RunContext;
import org.fallow.xc.XcDomain;
import org.fallow.xc.XcHandle;
import org.fallow.xc.XcTmem;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link StatsSource} over the libxc shim: physinfo (host total/free), {@link XcDomain#listDomains} (tot_pages,
 * max_pages, paged_pages, state), xc_domain_get_pod_target (PoD entries and cache) and the tmem LIST text (long
 * format) parsed by {@link TmemListing}. Every figure is the hypervisor's own.
 */
public final class ToolstackStats implements StatsSource {
    private final XcHandle xc;
    private final boolean ownsHandle;
    private final XcDomain dom;
    private final XcTmem tmem;

    public ToolstackStats(XcHandle xc, boolean ownsHandle) {
        this.xc = xc;
        this.ownsHandle = ownsHandle;
        this.dom = new XcDomain(xc);
        this.tmem = new XcTmem(xc);
    }

    public static ToolstackStats open(RunContext ctx) throws IOException {
        return new ToolstackStats(XcHandle.open(ctx.socket(), AbiProfile.XEN_4_12), true);
    }

    @Override public HostSample sample() throws IOException {
        long now = System.currentTimeMillis();
        Physinfo phys = Physinfo.query(xc);
        String listText = tmem.list(0xFFFF, true);
        TmemListing list = listText == null ? null : TmemListing.parse(listText);
        List<DomainSample> doms = new ArrayList<>();
        for (XcDomain.DomainInfo i : dom.listDomains()) {
            DomainSample d = DomainSample.basic(i.domid(), i.stateString(), i.totPages(), i.maxPages(), i.pagedPages());
            if (i.domid() != 0) {
                XcDomain.PodTarget pod = dom.xc_domain_get_pod_target(i.domid());
                if (pod.rc() == 0) d = d.withPod(pod.podEntries(), pod.podCachePages());
            }
            TmemListing.Client c = list == null ? null : list.clients().get(i.domid());
            if (c != null) {
                d = d.withTmem(c.ephemeralPages(), c.persistentPages(),
                        c.sumPools(false, "gt"), c.sumPools(false, "gs"), c.sumPools(true, "gt"), c.sumPools(true, "gs"),
                        c.sumPools(false, "pt"), c.sumPools(true, "pt"));
            }
            doms.add(d);
        }
        long eph = list == null ? -1 : list.ephemeralPages();
        long freeable = list == null || list.global().isEmpty() ? -1 : list.global().get().number("Ta", 0) + Math.max(0, eph);
        return new HostSample(now, phys.totalPages(), phys.freePages(), eph, freeable, doms);
    }

    /** The domain's name from xenstore ({@code /local/domain/D/name}), or null. */
    public String name(int domid) {
        try {
            return xc.xenstore() == null ? null : xc.xenstore().readOrNull("/local/domain/" + domid + "/name");
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    @Override public void close() {
        if (ownsHandle) xc.close();
    }
}
