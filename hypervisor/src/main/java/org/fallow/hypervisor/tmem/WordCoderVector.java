package org.fallow.hypervisor.tmem;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * {@link WordCoder}'s encoder on 512-bit vectors (JDK's incubating Vector API, {@code --add-modules
 * jdk.incubator.vector}): one group of 8 words per vector. For each reference distance k = 1..7 the group is XORed
 * with itself loaded 8k bytes earlier, each lane's non-zero bytes are counted (a SWAR test and a lane popcount), and
 * the lanes where k leaves fewer keep it; the chosen residuals' non-zero bytes are then packed with one byte-compress
 * (AVX-512 VBMI2's {@code vpcompressb} where C2 has it) and the mask bytes of the non-zero residuals with one
 * {@link Long#compress}. The decoder is the reverse, a group per vector: the mask bytes spread to their words with
 * {@link Long#expand}, the residual bytes to their lanes with one byte-expand ({@code vpexpandb}), and the references
 * resolved by XORing each lane with lane {@code 8 + j - k} of [previous group | this group] (a two-vector
 * rearrange), repeated until no lane changes (a word may refer to one before it in the same group). Loaded only when
 * the module is present ({@link WordCoder#bestCoder}).
 */
final class WordCoderVector implements WordCoder.Coder {
    private static final VectorSpecies<Long> LONGS = LongVector.SPECIES_512;
    private static final VectorSpecies<Byte> BYTES = ByteVector.SPECIES_512;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final long[] LANE_PLUS_8 = {8, 9, 10, 11, 12, 13, 14, 15};
    private static final long[] NIBBLE_SHIFTS = {0, 4, 8, 12, 16, 20, 24, 28};
    // The constant vectors are instance fields on purpose: as static finals, C2 on JDK 25 ran the encoder through
    // the Vector API's Java fallback (76 KB allocated and ~9 µs per page instead of none and ~1.3 µs).
    private final LongVector lanePlus8 = LongVector.fromArray(LONGS, LANE_PLUS_8, 0);
    private final LongVector shifts = LongVector.fromArray(LONGS, NIBBLE_SHIFTS, 0);

    /** True if this JVM's preferred vectors are 512 bits wide (else the Vector API would run 512-bit code slowly). */
    static boolean usable() { return LongVector.SPECIES_PREFERRED.vectorBitSize() >= 512; }

    /** Group 0 and the 64 zero bytes before it (the references before the page's first word). */
    private final MemorySegment head = WordCoder.newHead();

    @Override
    public int encode(MemorySegment page, MemorySegment out, int limit) {
        MemorySegment.copy(page, 0, head, WordCoder.PAD, 64);
        int p = group(head, WordCoder.PAD, 0, out, WordCoder.TAG_BYTES);
        for (int g = 1; g < WordCoder.GROUPS && p <= limit; g++) p = group(page, 64L * g, g, out, p);
        return p > limit ? -1 : p;
    }

    /** Encodes group {@code g}, whose words are at {@code at} in {@code src} (the 7 words before it too), at {@code p}. */
    private int group(MemorySegment src, long at, int g, MemorySegment out, int p) {
        LongVector x = LongVector.fromMemorySegment(LONGS, src, at, LE);
        LongVector best = x;
        LongVector bestCount = nonZeroByteCount(x);
        LongVector bestK = LongVector.zero(LONGS);
        for (int k = 1; k <= 7; k++) {
            LongVector r = x.lanewise(VectorOperators.XOR, LongVector.fromMemorySegment(LONGS, src, at - 8L * k, LE));
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
        return p + Long.bitCount(m);
    }

    /**
     * A group at a time where the input has 64 bytes of slack after it inside {@code src} (vector loads of the group's
     * mask bytes and data may reach past the page's end; what lies there is not used), else {@link WordCoder#decode}.
     */
    @Override
    public void decode(MemorySegment src, long off, int n, MemorySegment page, long[] window) {
        if (n < WordCoder.TAG_BYTES || off + n + 64 > src.byteSize()) {
            WordCoder.decode(src, off, n, page, window);
            return;
        }
        long end = off + n;
        long p = off + WordCoder.TAG_BYTES;
        LongVector previous = LongVector.zero(LONGS);
        for (int g = 0; g < WordCoder.GROUPS; g++) {
            int tags = src.get(WordCoder.INT, off + 4L * g);
            int hasMask = Integer.compress(tags, 0x88888888);
            long data = p + Integer.bitCount(hasMask);
            // p <= end, and end has 64 bytes of slack: these loads stay in src even when the page is cut short, which
            // the one check below then reports (the mask bytes lie before the data)
            long masks = Long.expand(src.get(WordCoder.LONG, p), Long.expand(hasMask, WordCoder.LOW_BITS) * 0xFF);
            long d = data + Long.bitCount(masks);
            if (d > end) throw new IllegalStateException("tmem: word-coded page ends in group " + g);
            LongVector residual = ByteVector.fromMemorySegment(BYTES, src, data, LE)
                    .expand(VectorMask.fromLong(BYTES, masks)).reinterpretAsLongs();
            LongVector k = LongVector.broadcast(LONGS, tags).lanewise(VectorOperators.LSHR, shifts).and(7L);
            VectorMask<Long> noReference = k.compare(VectorOperators.EQ, 0L);
            VectorShuffle<Long> reference = lanePlus8.sub(k).toShuffle(); // >= 8: this group's lane - 8 (wrapped)
            LongVector x = residual;
            for (int round = 0; round < 8; round++) { // a chain inside the group is at most 8 words long
                LongVector next = residual.lanewise(VectorOperators.XOR, previous.rearrange(reference, x).blend(0L, noReference));
                if (next.eq(x).allTrue()) break;
                x = next;
            }
            x.intoMemorySegment(page, 64L * g, LE);
            previous = x;
            p = d;
        }
        if (p != end) throw new IllegalStateException("tmem: word-coded page has " + (end - p) + " bytes left over");
    }

    private static LongVector nonZeroByteCount(LongVector w) {
        return w.and(WordCoder.LOW_7).add(WordCoder.LOW_7).or(w).and(WordCoder.HIGH_BITS).lanewise(VectorOperators.BIT_COUNT);
    }

    @Override public String name() { return "vector"; }

}
