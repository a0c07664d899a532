package org.fallow.hypervisor.tmem;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * {@link WordCoder}'s encoder on 512-bit vectors (JDK's incubating Vector API, {@code --add-modules
 * jdk.incubator.vector}): one group of 8 words per vector. For each reference distance k = 1..7 the group is XORed
 * with itself loaded 8k bytes earlier, each lane's non-zero bytes are counted (a SWAR test and a lane popcount), and
 * the lanes where k leaves fewer keep it; the chosen residuals' non-zero bytes are then packed with one byte-compress
 * (AVX-512 VBMI2's {@code vpcompressb} where C2 has it) and the mask bytes of the non-zero residuals with one
 * {@link Long#compress}. Loaded only when the module is present ({@link WordCoder#bestEncoder}).
 */
final class WordCoderVector implements WordCoder.Encoder {
    private static final VectorSpecies<Long> LONGS = LongVector.SPECIES_512;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final long[] NIBBLE_SHIFTS = {0, 4, 8, 12, 16, 20, 24, 28};
    private final LongVector shifts = LongVector.fromArray(LONGS, NIBBLE_SHIFTS, 0);

    /** True if this JVM's preferred vectors are 512 bits wide (else the Vector API would run 512-bit code slowly). */
    static boolean usable() { return LongVector.SPECIES_PREFERRED.vectorBitSize() >= 512; }

    @Override
    public int encode(MemorySegment padded, MemorySegment out, int limit) {
        int p = WordCoder.TAG_BYTES;
        for (int g = 0; g < WordCoder.GROUPS; g++) {
            long at = WordCoder.PAD + 64L * g;
            LongVector x = LongVector.fromMemorySegment(LONGS, padded, at, LE);
            LongVector best = x;
            LongVector bestCount = nonZeroByteCount(x);
            LongVector bestK = LongVector.zero(LONGS);
            for (int k = 1; k <= 7; k++) {
                LongVector r = x.lanewise(VectorOperators.XOR, LongVector.fromMemorySegment(LONGS, padded, at - 8L * k, LE));
                LongVector c = nonZeroByteCount(r);
                VectorMask<Long> fewer = c.lt(bestCount);
                bestCount = bestCount.blend(c, fewer);
                best = best.blend(r, fewer);
                bestK = bestK.blend(k, fewer);
            }
            LongVector tag = bestK.or(LongVector.zero(LONGS).blend(8, best.compare(VectorOperators.NE, 0)));
            out.set(WordCoder.INT, 4L * g, (int) tag.lanewise(VectorOperators.LSHL, shifts).reduceLanes(VectorOperators.OR));
            ByteVector bytes = best.reinterpretAsBytes();
            VectorMask<Byte> nonZero = bytes.compare(VectorOperators.NE, (byte) 0);
            long m = nonZero.toLong();
            long wordHasMask = WordCoder.nonZeroBytes(m);
            out.set(WordCoder.LONG, p, Long.compress(m, (wordHasMask >>> 7) * 0xFF));
            p += Long.bitCount(wordHasMask);
            bytes.compress(nonZero).intoMemorySegment(out, p, LE);
            p += Long.bitCount(m);
            if (p > limit) return -1;
        }
        return p;
    }

    private static LongVector nonZeroByteCount(LongVector w) {
        return w.and(WordCoder.LOW_7).add(WordCoder.LOW_7).or(w).and(WordCoder.HIGH_BITS).lanewise(VectorOperators.BIT_COUNT);
    }

    @Override public String name() { return "vector"; }

}
