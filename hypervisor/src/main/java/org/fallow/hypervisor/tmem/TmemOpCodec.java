package org.fallow.hypervisor.tmem;

import org.fallow.abi.AbiProfile;

import java.lang.foreign.MemorySegment;

import static org.fallow.abi.xen.XenLayouts.U32_UNALIGNED;
import static org.fallow.abi.xen.XenLayouts.U64_UNALIGNED;

/**
 * Decodes {@code struct tmem_op} as read from the caller, per ABI profile (little-endian, x86_64):
 * <pre>
 *  4.12 (56 bytes)                                2009, 6009f4ddb2 (40 bytes)
 *   0 u32 cmd                                       0 u32 cmd
 *   4 i32 pool_id                                   4 i32 pool_id
 *   8 u64 creat.uuid[0] | gen.oid[0]                8 u64 new.uuid[0] | gen.object | ctrl.subop(4) ctrl.cli_id(4)
 *  16 u64 creat.uuid[1] | gen.oid[1]               16 u64 new.uuid[1] | gen.index(4) gen.tmem_offset(4) | ctrl.arg1 arg2
 *  24 u32 creat.flags   | gen.oid[2] (8)           24 u32 new.flags | gen.pfn_offset | ctrl.buf (8)
 *  28 u32 creat.arg1                               28 u32 gen.len
 *  32 u32 gen.index                                32 u64 gen.cmfn
 *  36 u32 gen.tmem_offset  40 u32 gen.pfn_offset  44 u32 gen.len
 *  48 u64 gen.cmfn
 * </pre>
 */
public final class TmemOpCodec {
    public static final int SIZE_412 = 56, SIZE_2009 = 40;

    private TmemOpCodec() {}

    public static int size(AbiProfile p) { return p == AbiProfile.TMEM_2009 ? SIZE_2009 : SIZE_412; }

    public static TmemRequest decode(AbiProfile p, MemorySegment s) {
        int cmd = s.get(U32_UNALIGNED, 0), poolId = s.get(U32_UNALIGNED, 4);
        if (p == AbiProfile.TMEM_2009) {
            return new TmemRequest(cmd, poolId, s.get(U64_UNALIGNED, 8), s.get(U64_UNALIGNED, 16), s.get(U32_UNALIGNED, 24),
                    TmemOid.of2009(s.get(U64_UNALIGNED, 8)), s.get(U32_UNALIGNED, 16), s.get(U32_UNALIGNED, 20), s.get(U32_UNALIGNED, 24), s.get(U32_UNALIGNED, 28),
                    s.get(U64_UNALIGNED, 32), s.get(U32_UNALIGNED, 8), s.get(U32_UNALIGNED, 12), s.get(U32_UNALIGNED, 16), s.get(U32_UNALIGNED, 20), s.get(U64_UNALIGNED, 24));
        }
        return new TmemRequest(cmd, poolId, s.get(U64_UNALIGNED, 8), s.get(U64_UNALIGNED, 16), s.get(U32_UNALIGNED, 24),
                new TmemOid(s.get(U64_UNALIGNED, 8), s.get(U64_UNALIGNED, 16), s.get(U64_UNALIGNED, 24)), s.get(U32_UNALIGNED, 32), s.get(U32_UNALIGNED, 36),
                s.get(U32_UNALIGNED, 40), s.get(U32_UNALIGNED, 44), s.get(U64_UNALIGNED, 48), 0, 0, 0, 0, 0);
    }

    /** Encodes a page op (client side / tests). */
    public static void encodePage(AbiProfile p, MemorySegment s, int cmd, int poolId, TmemOid oid, int index, long cmfn) {
        s.asSlice(0, size(p)).fill((byte) 0);
        s.set(U32_UNALIGNED, 0, cmd);
        s.set(U32_UNALIGNED, 4, poolId);
        if (p == AbiProfile.TMEM_2009) {
            s.set(U64_UNALIGNED, 8, oid.oid0());
            s.set(U32_UNALIGNED, 16, index);
            s.set(U64_UNALIGNED, 32, cmfn);
        } else {
            s.set(U64_UNALIGNED, 8, oid.oid0());
            s.set(U64_UNALIGNED, 16, oid.oid1());
            s.set(U64_UNALIGNED, 24, oid.oid2());
            s.set(U32_UNALIGNED, 32, index);
            s.set(U64_UNALIGNED, 48, cmfn);
        }
    }

    /** Encodes NEW_POOL (client side / tests). */
    public static void encodeNewPool(AbiProfile p, MemorySegment s, long uuid0, long uuid1, int flags) {
        s.asSlice(0, size(p)).fill((byte) 0);
        s.set(U32_UNALIGNED, 0, TmemDefs.NEW_POOL);
        s.set(U64_UNALIGNED, 8, uuid0);
        s.set(U64_UNALIGNED, 16, uuid1);
        s.set(U32_UNALIGNED, 24, flags);
    }

    /** Encodes the 2009 TMEM_CONTROL (6009f4ddb2 layout: buf at 24). */
    public static void encodeControl2009(MemorySegment s, int poolId, int subop, int cliId, int arg1, int arg2, long buf) {
        s.asSlice(0, SIZE_2009).fill((byte) 0);
        s.set(U32_UNALIGNED, 0, TmemDefs.CONTROL);
        s.set(U32_UNALIGNED, 4, poolId);
        s.set(U32_UNALIGNED, 8, subop);
        s.set(U32_UNALIGNED, 12, cliId);
        s.set(U32_UNALIGNED, 16, arg1);
        s.set(U32_UNALIGNED, 20, arg2);
        s.set(U64_UNALIGNED, 24, buf);
    }
}
