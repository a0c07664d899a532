package org.fallow.guest;

import org.fallow.guest.mm.KernelStats;
import org.fallow.guest.tmem.Cleancache;
import org.fallow.guest.tmem.Frontswap;
import org.fallow.guest.tmem.TmemDriverStats;
import org.fallow.guest.workload.Workload;

import java.util.LinkedHashMap;
import java.util.Map;

/** The guest's statistics as nested maps (debugfs/sysfs names where Linux has them) and as JSON. */
public final class GuestStats {
    private GuestStats() {}

    public static Map<String, Object> collect(GuestSystem g, Workload w, int domid) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("domid", domid);
        if (w != null) {
            root.put("workload", w.name());
            root.put("ops", w.ops());
        }
        root.put("guest_time_ms", g.clock().nowMs());
        var k = g.kernel();
        Map<String, Object> mem = new LinkedHashMap<>();
        mem.put("max_pfn", k.maxPfn());
        mem.put("current_pages", k.currentPages());
        mem.put("totalram_pages", k.totalRamPages());
        mem.put("totalreserve_pages", k.totalReservePages());
        mem.put("free_pages", k.freePages());
        mem.put("page_cache_pages", k.pageCachePages());
        mem.put("anon_resident_pages", k.anonResidentPages());
        mem.put("committed_as_pages", k.committedPages());
        mem.put("boot_scrubbed_pages", g.scrubbedPages());
        mem.put("boot_scrub_faults", g.scrubFaults());
        mem.put("boot_scrub_ms", g.scrubNanos() / 1_000_000);
        root.put("meminfo", mem);
        KernelStats s = k.stats();
        Map<String, Object> vm = new LinkedHashMap<>();
        vm.put("file_reads", s.fileReads);
        vm.put("page_cache_hits", s.pageCacheHits);
        vm.put("page_cache_misses", s.pageCacheMisses);
        vm.put("disk_reads", s.diskReads);
        vm.put("file_writes", s.fileWrites);
        vm.put("truncates", s.truncates);
        vm.put("anon_faults", s.anonFaults);
        vm.put("swap_ins", s.swapIns);
        vm.put("swap_outs", s.swapOuts);
        vm.put("swap_disk_writes", s.swapDiskWrites);
        vm.put("swap_disk_reads", s.swapDiskReads);
        vm.put("oom_kills", s.oomKills);
        vm.put("data_errors", s.dataErrors);
        root.put("vmstat", vm);
        Cleancache cc = k.cleancache();
        Map<String, Object> ccm = new LinkedHashMap<>();
        ccm.put("enabled", cc.enabled());
        ccm.put("succ_gets", cc.succGets());
        ccm.put("failed_gets", cc.failedGets());
        ccm.put("puts", cc.puts());
        ccm.put("invalidates", cc.invalidates());
        long gets = cc.succGets() + cc.failedGets();
        ccm.put("hit_rate", gets == 0 ? 0.0 : (double) cc.succGets() / gets);
        root.put("cleancache", ccm);
        Frontswap fs = k.frontswap();
        Map<String, Object> fsm = new LinkedHashMap<>();
        fsm.put("enabled", fs.enabled());
        fsm.put("loads", fs.loads());
        fsm.put("succ_stores", fs.succStores());
        fsm.put("failed_stores", fs.failedStores());
        fsm.put("invalidates", fs.invalidates());
        fsm.put("curr_pages", fs.currPages());
        root.put("frontswap", fsm);
        if (g.tmemDriver() != null) {
            TmemDriverStats t = g.tmemDriver().stats();
            Map<String, Object> tm = new LinkedHashMap<>();
            tm.put("new_pools", t.newPools);
            tm.put("new_pool_failures", t.newPoolFailures);
            tm.put("puts", t.puts);
            tm.put("put_succeeded", t.putSucceeded);
            tm.put("put_failed", t.putFailed);
            tm.put("put_enospc", t.putEnospc);
            tm.put("gets", t.gets);
            tm.put("get_hits", t.getHits);
            tm.put("get_misses", t.getMisses);
            tm.put("get_empty", t.getEmpty);
            tm.put("flush_pages", t.flushPages);
            tm.put("flush_objects", t.flushObjects);
            root.put("tmem", tm);
        }
        var b = g.balloon();
        Map<String, Object> bm = new LinkedHashMap<>();
        bm.put("target_kb", b.targetKb());
        bm.put("current_kb", b.currentKb());
        bm.put("low_kb", b.lowKb());
        bm.put("schedule_delay", b.scheduleDelaySec());
        bm.put("retry_count", b.retryCount());
        bm.put("pages_increased", b.pagesIncreased());
        bm.put("pages_decreased", b.pagesDecreased());
        bm.put("eagain", b.eagains());
        bm.put("canceled", b.cancels());
        root.put("balloon", bm);
        var sb = g.selfballoon();
        var t = g.tunables();
        Map<String, Object> sbm = new LinkedHashMap<>();
        sbm.put("selfballooning", t.selfballooning());
        sbm.put("frontswap_selfshrinking", t.frontswapSelfshrinking());
        sbm.put("selfballoon_interval", t.selfballoonIntervalSec());
        sbm.put("selfballoon_downhysteresis", t.selfballoonDownhysteresis());
        sbm.put("selfballoon_uphysteresis", t.selfballoonUphysteresis());
        sbm.put("selfballoon_min_usable_mb", t.selfballoonMinUsableMb());
        sbm.put("selfballoon_reserved_mb", t.selfballoonReservedMb());
        sbm.put("frontswap_hysteresis", t.frontswapHysteresis());
        sbm.put("frontswap_inertia", t.frontswapInertia());
        sbm.put("ticks", sb.ticks());
        sbm.put("last_goal_pages", sb.lastGoal());
        sbm.put("last_floor_pages", sb.lastFloor());
        sbm.put("last_balloon_target_pages", sb.lastBalloonTarget());
        sbm.put("selfshrinks", sb.shrinks());
        sbm.put("selfshrunk_pages", sb.shrunkPages());
        root.put("selfballoon", sbm);
        return root;
    }

    public static String toJson(Object o) {
        StringBuilder sb = new StringBuilder();
        write(sb, o, 0);
        return sb.append('\n').toString();
    }

    private static void write(StringBuilder sb, Object o, int indent) {
        if (o instanceof Map<?, ?> m) {
            sb.append("{\n");
            int i = 0;
            for (var e : m.entrySet()) {
                sb.append("  ".repeat(indent + 1)).append('"').append(e.getKey()).append("\": ");
                write(sb, e.getValue(), indent + 1);
                if (++i < m.size()) sb.append(',');
                sb.append('\n');
            }
            sb.append("  ".repeat(indent)).append('}');
        } else if (o instanceof String s) {
            sb.append('"').append(s.replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
        } else if (o instanceof Double d) {
            sb.append(String.format(java.util.Locale.ROOT, "%.4f", d));
        } else sb.append(o);
    }
}
