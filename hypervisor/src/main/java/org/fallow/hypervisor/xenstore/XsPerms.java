package org.fallow.hypervisor.xenstore;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A node's permissions as xenstored keeps them: entry 0 names the owner (who may do everything) and the access
 * everyone not listed gets; entries 1.. grant one domain {@code n}one, {@code r}ead, {@code w}rite or {@code b}oth.
 * On the wire (XS_GET_PERMS / XS_SET_PERMS) each entry is the letter followed by the decimal domid, NUL-terminated.
 */
public record XsPerms(char[] kinds, int[] domids) {
    public static final int READ = 1, WRITE = 2, OWNER = 4;

    /** "n0": owned by dom0, no access for anyone else (xenstored's root). */
    public static final XsPerms DOM0_ONLY = of("n0");

    /** Parses "n0", "r5", ... (one entry per string); {@link XsError} EINVAL on a bad entry. */
    public static XsPerms parse(List<String> entries) throws XsError {
        if (entries.isEmpty()) throw new XsError("EINVAL", "no permissions");
        char[] k = new char[entries.size()];
        int[] d = new int[entries.size()];
        for (int i = 0; i < entries.size(); i++) {
            String e = entries.get(i);
            if (e.length() < 2 || "nrwb".indexOf(e.charAt(0)) < 0) throw new XsError("EINVAL", "bad permission '" + e + "'");
            k[i] = e.charAt(0);
            d[i] = parseDomid(e.substring(1));
        }
        return new XsPerms(k, d);
    }

    /** Parses entries written with spaces ("n0 r5"), for code and tests. */
    public static XsPerms of(String spaced) {
        try {
            return parse(Arrays.asList(spaced.trim().split("\\s+")));
        } catch (XsError e) {
            throw new IllegalArgumentException(e.getMessage());
        }
    }

    static int parseDomid(String s) throws XsError {
        if (s.isEmpty() || s.length() > 5) throw new XsError("EINVAL", "bad domid '" + s + "'");
        for (int i = 0; i < s.length(); i++) if (s.charAt(i) < '0' || s.charAt(i) > '9') throw new XsError("EINVAL", "bad domid '" + s + "'");
        int v = Integer.parseInt(s);
        if (v > 0xFFFF) throw new XsError("EINVAL", "domid " + s + " out of range");
        return v;
    }

    public int size() { return kinds.length; }

    public int owner() { return domids[0]; }

    /** The same entries with the owner replaced (what a node created by an unprivileged domain gets). */
    public XsPerms withOwner(int domid) {
        int[] d = domids.clone();
        d[0] = domid;
        return new XsPerms(kinds.clone(), d);
    }

    /** The wire form: each entry NUL-terminated. */
    public List<String> entries() {
        List<String> out = new ArrayList<>(kinds.length);
        for (int i = 0; i < kinds.length; i++) out.add(kinds[i] + Integer.toString(domids[i]));
        return out;
    }

    /** What {@code domid} may do (xenstored's perm_for_conn); {@code target} is the domain it serves (-1: none). */
    public int access(boolean privileged, int domid, int target) {
        if (privileged || domids[0] == domid || (target >= 0 && domids[0] == target)) return READ | WRITE | OWNER;
        for (int i = 1; i < kinds.length; i++)
            if (domids[i] == domid || (target >= 0 && domids[i] == target)) return bits(kinds[i]);
        return bits(kinds[0]);
    }

    private static int bits(char k) {
        return switch (k) {
            case 'r' -> READ;
            case 'w' -> WRITE;
            case 'b' -> READ | WRITE;
            default -> 0;
        };
    }

    /** Bytes the entries take in xenstored's node record (struct xs_permissions: 8 bytes each). */
    int recordBytes() { return 8 * kinds.length; }

    @Override public boolean equals(Object o) {
        return o instanceof XsPerms p && Arrays.equals(kinds, p.kinds) && Arrays.equals(domids, p.domids);
    }

    @Override public int hashCode() { return 31 * Arrays.hashCode(kinds) + Arrays.hashCode(domids); }

    @Override public String toString() { return String.join(" ", entries()); }
}
