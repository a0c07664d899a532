package org.fallow.cli.stats;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The JSON shape of a {@link HostSample} (used by {@code top --json} and the demo's samples file). */
public final class SampleJson {
    private SampleJson() { }

    public static Map<String, Object> toMap(HostSample s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("time_ms", s.timeMillis());
        m.put("host_total_pages", s.totalPages());
        m.put("host_free_pages", s.freePages());
        m.put("tmem_ephemeral_pages", s.tmemEphPages());
        m.put("tmem_freeable_pages", s.tmemFreeablePages());
        List<Object> doms = new ArrayList<>();
        for (DomainSample d : s.domains()) doms.add(toMap(d));
        m.put("domains", doms);
        return m;
    }

    public static Map<String, Object> toMap(DomainSample d) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("domid", d.domid());
        m.put("state", d.state());
        m.put("tot_pages", d.totPages());
        m.put("max_pages", d.maxPages());
        m.put("pod_entries", d.podEntries());
        m.put("pod_cache_pages", d.podCache());
        m.put("paged_pages", d.pagedPages());
        m.put("tmem_ephemeral_pages", d.tmemEphPages());
        m.put("tmem_persistent_pages", d.tmemPersPages());
        m.put("tmem_ephemeral_gets", d.ephGets());
        m.put("tmem_ephemeral_gets_found", d.ephGetsFound());
        m.put("tmem_persistent_gets", d.persGets());
        m.put("tmem_persistent_gets_found", d.persGetsFound());
        m.put("tmem_ephemeral_puts", d.ephPuts());
        m.put("tmem_persistent_puts", d.persPuts());
        m.put("tmem_ephemeral_hit_rate", d.ephHitRate());
        m.put("tmem_persistent_hit_rate", d.persHitRate());
        return m;
    }
}
