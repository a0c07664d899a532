package org.fallow.abi.xen;

import static org.fallow.abi.xen.XenLayouts.*;

import java.lang.foreign.StructLayout;
import java.util.Objects;

/**
 * {@code struct xen_tmem_oid} (tmem.h, 4.12): a 192-bit tmem object id.
 * <pre>
 * xen_tmem_oid (24 bytes)
 * offset size  member  type
 *      0   24  oid     le64[3]
 * </pre>
 */
public final class XenTmemOid extends Flyweight<XenTmemOid> {
    public static final int WORDS = 3;
    public static final StructLayout LAYOUT = struct("xen_tmem_oid", array("oid", WORDS, U64));
    public static final int SIZE = (int) LAYOUT.byteSize();
    public static final int OID_OFFSET = offsetOf(LAYOUT, "oid");

    @Override public int size() { return SIZE; }
    @Override public StructLayout layout() { return LAYOUT; }

    public long oid(int i) { return getU64(OID_OFFSET + 8L * Objects.checkIndex(i, WORDS)); }
    public XenTmemOid oid(int i, long v) { putU64(OID_OFFSET + 8L * Objects.checkIndex(i, WORDS), v); return this; }
    public XenTmemOid oid(long o0, long o1, long o2) { return oid(0, o0).oid(1, o1).oid(2, o2); }
}
