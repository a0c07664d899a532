package org.fallow.hypervisor.tmem;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.fallow.hypervisor.tmem.TmemDefs.*;

/**
 * The text of TMEMC_LIST / XEN_SYSCTL_TMEM_OP_LIST (Xen 4.12 tmem_control.c tmemc_list, and the 2009 variant of §3.3).
 *
 * <p>Records are built as fragments (each at most 1023 characters, Xen's 1024-byte BSIZE with its NUL) in groups:
 * G=, the S= lines, each client's C= and P= lines, then the T line. A fragment is written only if the text so far
 * plus the fragment stays below {@code len}; the first fragment of a group that does not fit drops the rest of that
 * group, and the next group is tried. Each written fragment is followed by a NUL that the next one overwrites, so the
 * buffer holds a NUL-terminated string.
 *
 * <p>Deliberate differences from Xen's code (docs/DEVIATIONS.md): S= records do not repeat the text of earlier S=
 * records, and the C= line is length-checked like every other fragment.
 */
public final class TmemList {
    private static final int BSIZE = 1024;

    private TmemList() {}

    /** The fragments for {@code cliId} (0xFFFF = everything), or null if the client is unknown (LIST returns -1). */
    public static List<List<String>> groups(TmemEngine e, int cliId, boolean longFormat, boolean v2009) {
        cliId &= 0xFFFF;
        List<List<String>> groups = new ArrayList<>();
        if (cliId == CLI_ID_NULL) {
            groups.add(List.of(global(e, longFormat, v2009)));
            groups.add(shared(e, longFormat));
            for (TmemClient c : e.clients()) groups.add(client(c, longFormat, v2009));
            groups.add(List.of(v2009 ? perf2009(e.stats) : "T\n"));
        } else {
            TmemClient c = e.client(cliId);
            if (c == null) return null;
            groups.add(client(c, longFormat, v2009));
        }
        return groups;
    }

    /** The bytes LIST writes into a {@code len}-byte buffer: the text plus its terminating NUL (if anything fits). */
    public static byte[] render(List<List<String>> groups, long len) {
        StringBuilder sb = new StringBuilder();
        for (List<String> g : groups) {
            for (String frag : g) {
                if (sb.length() + frag.length() >= len) break;
                sb.append(frag);
            }
        }
        byte[] text = sb.toString().getBytes(StandardCharsets.US_ASCII);
        if (text.length == 0 && len == 0) return text;
        byte[] out = new byte[text.length + 1];
        System.arraycopy(text, 0, out, 0, text.length);
        return out;
    }

    /** The LIST text as a string (no NUL), as it would appear in a {@code len}-byte buffer. */
    public static String text(TmemEngine e, int cliId, boolean longFormat, boolean v2009, long len) {
        List<List<String>> g = groups(e, cliId, longFormat, v2009);
        if (g == null) return null;
        byte[] b = render(g, len);
        return new String(b, 0, Math.max(0, b.length - 1), StandardCharsets.US_ASCII);
    }

    private static String bsize(String s) { return s.length() > BSIZE - 1 ? s.substring(0, BSIZE - 1) : s; }

    private static String global(TmemEngine e, boolean lng, boolean v2009) {
        TmemStats s = e.stats;
        StringBuilder b = new StringBuilder("G=");
        b.append("Tt:").append(s.totalOps).append(",Te:").append(s.erroredOps).append(",Cf:").append(s.failedCopies)
                .append(",Af:").append(s.allocFailed).append(",Pf:").append(s.allocPageFailed)
                .append(",Ta:").append(e.freeListPages).append(",Lm:").append(s.lowOnMemory)
                .append(",Et:").append(s.evictedPages).append(",Ea:").append(s.evictAttempts)
                .append(",Rt:").append(s.relinqPages).append(",Ra:").append(s.relinqAttempts)
                .append(",Rx:").append(s.maxEvictsPerRelinq).append(",Fp:").append(s.totalFlushPool)
                .append(lng ? ',' : '\n');
        if (lng) {
            b.append("Ec:").append(e.lru.count()).append(",Em:").append(e.lru.countMax())
                    .append(",Oc:").append(s.objCount).append(",Om:").append(s.objCountMax)
                    .append(",Nc:0,Nm:0")
                    .append(",Pc:").append(s.pgpCount).append(",Pm:").append(s.pgpCountMax);
            if (v2009) b.append('\n');
            else b.append(",Fc:").append(s.pageCount).append(",Fm:").append(s.pageCountMax)
                    .append(",Sc:0,Sm:0")
                    .append(",Ep:").append(s.goodEphPuts).append(",Gd:0,Zt:0")
                    .append(",Gz:").append(s.liveCompressedBytes).append('\n');
        }
        return bsize(b.toString());
    }

    private static List<String> shared(TmemEngine e, boolean lng) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < MAX_GLOBAL_SHARED_POOLS; i++) {
            TmemPool p = e.sharedPools[i];
            if (p == null) continue;
            StringBuilder b = new StringBuilder("S=SI:").append(i).append(",PT:").append(p.typeCode())
                    .append(",U0:").append(Long.toHexString(p.uuid0)).append(",U1:").append(Long.toHexString(p.uuid1));
            for (TmemClient c : p.sharers) b.append(",SC:").append(c.domid);
            b.append(lng ? ',' : '\n');
            if (lng) poolStats(b, p);
            out.add(bsize(b.toString()));
        }
        return out;
    }

    private static List<String> client(TmemClient c, boolean lng, boolean v2009) {
        List<String> out = new ArrayList<>();
        StringBuilder b = new StringBuilder("C=CI:").append(c.domid).append(",ww:").append(c.weight);
        if (v2009) b.append(",ca:").append(c.cap);
        b.append(",co:").append(c.compress ? 1 : 0).append(",fr:").append(c.frozen ? 1 : 0);
        if (!v2009) b.append(",Tc:0,Ge:").append(c.succEphGets).append(",Pp:").append(c.succPersPuts)
                .append(",Gp:").append(c.succPersGets);
        b.append(lng ? ',' : '\n');
        if (lng) b.append("Ec:").append(c.ephCount).append(",Em:").append(c.ephCountMax)
                .append(",cp:").append(c.compressedPages).append(",cb:").append(c.compressedSumSize)
                .append(",cn:").append(c.compressPoor).append(",cm:").append(c.compressNomem).append('\n');
        out.add(bsize(b.toString()));
        for (int i = 0; i < MAX_POOLS_PER_DOMAIN; i++) {
            TmemPool p = c.pools[i];
            if (p == null) continue;
            StringBuilder q = new StringBuilder("P=CI:").append(c.domid).append(",PI:").append(p.poolId)
                    .append(",PT:").append(p.typeCode())
                    .append(",U0:").append(Long.toHexString(p.shared ? p.uuid0 : 0))
                    .append(",U1:").append(Long.toHexString(p.shared ? p.uuid1 : 0))
                    .append(lng ? ',' : '\n');
            if (lng) poolStats(q, p);
            out.add(bsize(q.toString()));
        }
        return out;
    }

    private static void poolStats(StringBuilder b, TmemPool p) {
        b.append("Pc:").append(p.pgpCount).append(",Pm:").append(p.pgpCountMax)
                .append(",Oc:").append(p.objCount).append(",Om:").append(p.objCountMax)
                .append(",Nc:0,Nm:0")
                .append(",ps:").append(p.goodPuts).append(",pt:").append(p.puts)
                .append(",pd:").append(p.dupPutsFlushed).append(",pr:").append(p.dupPutsReplaced)
                .append(",px:").append(p.noMemPuts).append(",gs:").append(p.foundGets).append(",gt:").append(p.gets)
                .append(",fs:").append(p.flushsFound).append(",ft:").append(p.flushs)
                .append(",os:").append(p.flushObjsFound).append(",ot:").append(p.flushObjs).append('\n');
    }

    private static String perf2009(TmemStats s) {
        StringBuilder b = new StringBuilder("T=");
        perf(b, "G", s.succGet);
        perf(b, "P", s.succPut);
        perf(b, "g", s.nonSuccGet);
        perf(b, "p", s.nonSuccPut);
        perf(b, "F", s.flush);
        perf(b, "O", s.flushObj);
        perf(b, "C", s.pageCopy);
        perf(b, "c", s.compress);
        perf(b, "d", s.decompress);
        b.setLength(b.length() - 1);
        return bsize(b.append('\n').toString());
    }

    private static void perf(StringBuilder b, String t, TmemStats.PerfCounter c) {
        b.append(t).append("n:").append(c.count).append(',').append(t).append("t:").append(c.sum).append(',')
                .append(t).append("x:").append(c.max).append(',').append(t).append("m:").append(c.min).append(',');
    }
}
