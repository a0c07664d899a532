package org.fallow.hypervisor.tmem;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The word coder's format at exact offsets, its two encoders giving the same bytes, round trips of heap-like,
 * random and edge pages, and a decoder that bounds its reads by the input.
 */
class WordCoderTest {
    private final Arena arena = Arena.ofAuto();

    /** A page with junk before it, which the encoders must not read (words before the page count as zero). */
    private MemorySegment page() {
        MemorySegment s = arena.allocate(64 + TmemDefs.PAGE_SIZE, 64);
        s.asSlice(0, 64).fill((byte) 0xEE);
        return s.asSlice(64, TmemDefs.PAGE_SIZE);
    }

    private static void set(MemorySegment page, int word, long v) {
        page.set(ValueLayout.JAVA_LONG_UNALIGNED, 8L * word, v);
    }

    private byte[] encode(WordCoder.Coder e, MemorySegment page) {
        MemorySegment out = arena.allocate(WordCoder.OUTPUT_BYTES, 64);
        int n = e.encode(page, out, WordCoder.OUTPUT_BYTES);
        assertTrue(n >= WordCoder.TAG_BYTES, e.name() + " encoded " + n);
        return out.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE);
    }

    private List<WordCoder.Coder> coders() {
        List<WordCoder.Coder> l = new ArrayList<>(List.of(new WordCoder.Scalar()));
        WordCoder.Coder best = WordCoder.bestCoder();
        if (!(best instanceof WordCoder.Scalar)) l.add(best);
        return l;
    }

    /**
     * Decodes {@code coded} with every coder into a dirty page, from a segment of exactly its length (the scalar
     * decoder's tail reads; the vector coder falls back to it there) and from one with slack after it filled with
     * junk (the vector decoder's group loads); all must give the same page, which is returned.
     */
    private MemorySegment decode(byte[] coded) {
        MemorySegment first = null;
        for (WordCoder.Coder c : coders()) {
            for (int slack : new int[] {0, 100}) {
                MemorySegment src = arena.allocate(3 + coded.length + slack);
                src.fill((byte) 0xA5);
                MemorySegment.copy(coded, 0, src, ValueLayout.JAVA_BYTE, 3, coded.length);
                MemorySegment page = arena.allocate(TmemDefs.PAGE_SIZE);
                page.fill((byte) 0x5A);
                long[] window = new long[WordCoder.WINDOW];
                java.util.Arrays.fill(window, 0x77L); // a previous page's words: must not leak into this one
                c.decode(src, 3, coded.length, page, window);
                if (first == null) first = page;
                else assertEquals(-1, first.mismatch(page), c.name() + " decoder, slack " + slack);
            }
        }
        return first;
    }

    @Test void aSmallPageIsEncodedAtExactOffsets() {
        MemorySegment p = page();
        set(p, 0, 0x1122L);             // raw: k 0, m 1, mask 0b11, bytes 22 11
        set(p, 1, 0x1122L);             // equals the word before: k 1, m 0
        set(p, 3, 0x0000_0006_9817_3000L);
        set(p, 6, 0x0000_0006_9817_4000L); // XOR word 3 = 0x7000: k 3, mask 0b10, byte 70
        set(p, 9, 0xFFL);                // group 1, word 1: raw, mask 0b1
        for (WordCoder.Coder e : coders()) {
            byte[] c = encode(e, p);
            assertEquals(WordCoder.TAG_BYTES + (1 + 2) + (1 + 4) + (1 + 1) + (1 + 1), c.length, e.name());
            // tag word 0, nibble per word: 8 (raw), 1 (= word 0), 0 (zero), 8 (raw: 4 non-zero bytes, no reference
            // leaves fewer), 0, 0, B (m | k 3: XOR word 3 leaves 0x7000), 0
            assertEquals(0x0B008018, leInt(c, 0), e.name() + " tags of group 0");
            assertEquals(0x00000080, leInt(c, 4), e.name() + " tags of group 1");
            for (int g = 2; g < WordCoder.GROUPS; g++) assertEquals(0, leInt(c, 4 * g), e.name() + " group " + g);
            // group 0: masks of words 0, 3, 6, then their bytes
            assertEquals("031e02" + "2211" + "30179806" + "70", hex(c, 256, 3 + 2 + 4 + 1), e.name());
            // group 1: mask of word 9, its byte
            assertEquals("01ff", hex(c, 266, 2), e.name());
            assertEquals(-1, decode(c).mismatch(p), e.name() + " round trip");
        }
    }

    @Test void bothEncodersWriteTheSameBytesAndRoundTrip() {
        SplittableRandom r = new SplittableRandom(16);
        for (int t = 0; t < 400; t++) {
            MemorySegment p = page();
            fillHeapLike(p, r, t);
            List<byte[]> outs = new ArrayList<>();
            for (WordCoder.Coder e : coders()) {
                byte[] c = encode(e, p);
                outs.add(c);
                assertEquals(-1, decode(c).mismatch(p), e.name() + " page " + t);
            }
            for (byte[] c : outs) assertArrayEquals(outs.get(0), c, "page " + t);
        }
    }

    @Test void aRandomPageGivesUpAtTheLimit() {
        MemorySegment p = page();
        SplittableRandom r = new SplittableRandom(5);
        for (int i = 0; i < WordCoder.WORDS; i++) set(p, i, r.nextLong());
        for (WordCoder.Coder e : coders()) {
            assertEquals(-1, e.encode(p, arena.allocate(WordCoder.OUTPUT_BYTES, 64), PageCodec.COMPRESS_POOR_LIMIT - 1), e.name());
            byte[] all = encode(e, p); // without a limit: every word raw, 8 bytes and a mask each
            assertEquals(-1, decode(all).mismatch(p), e.name());
        }
    }

    @Test void everyDecoderRefusesShortAndLongInputs() {
        MemorySegment p = page();
        fillHeapLike(p, new SplittableRandom(9), 1);
        byte[] c = encode(new WordCoder.Scalar(), p);
        assertTrue(c.length > 300, "a page with data in every group: " + c.length);
        for (WordCoder.Coder coder : coders()) {
            for (int slack : new int[] {0, 100}) {
                for (int n : new int[] {c.length - 1, c.length + 1, 100}) {
                    MemorySegment src = arena.allocate(c.length + 1 + slack);
                    MemorySegment.copy(c, 0, src, ValueLayout.JAVA_BYTE, 0, c.length);
                    MemorySegment page = arena.allocate(TmemDefs.PAGE_SIZE);
                    assertThrows(IllegalStateException.class, () -> coder.decode(src, 0, n, page, new long[WordCoder.WINDOW]),
                            coder.name() + " decoding " + n + " of " + c.length + " bytes, slack " + slack);
                }
            }
        }
    }

    /**
     * The tests above exercise the vector coder wherever it would be chosen: with the module and 512-bit vectors. The
     * default codec is words there and LZ4 elsewhere (the scalar coder costs about LZ4's CPU), unless the boot option
     * names one.
     */
    @Test void theVectorCoderIsChosenWhereTheJvmHasItAndMakesWordsTheDefault() {
        boolean vector = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent() && WordCoderVector.usable();
        assertEquals(vector ? "vector" : "scalar", WordCoder.bestCoder().name());
        assertEquals(vector ? TmemCompression.WORDS : TmemCompression.LZ4, TmemCompression.preferred());
        assertEquals(TmemCompression.preferred(), TmemSubsystem.codec(null));
        assertEquals(TmemCompression.preferred(), new TmemEngine.Config(true, true, () -> 0).compression());
        assertEquals(TmemCompression.LZO, TmemSubsystem.codec("lzo"));
        assertEquals(TmemCompression.WORDS, TmemSubsystem.codec(" Words "));
    }

    /**
     * A JVM without the Vector API module (as on a JDK or launcher that does not add it) takes the scalar coder, makes
     * LZ4 the default, and still round-trips a words page through the engine's codec.
     */
    @Test void withoutTheVectorModuleTheScalarCoderRunsAndLz4IsTheDefault() throws Exception {
        Process p = new ProcessBuilder(java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-Xmx64m", "-cp", System.getProperty("java.class.path"), Probe.class.getName())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).trim();
        assertTrue(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS), out);
        assertEquals(0, p.exitValue(), out);
        assertEquals("scalar LZ4 words (scalar) + lz4 round trip ok", out.lines().reduce((a, b) -> b).orElse(""), out);
    }

    /** The child of the test above: its coder, the default codec, and a words round trip, on one line. */
    public static final class Probe {
        public static void main(String[] args) {
            PageCodec c = new PageCodec(TmemCompression.WORDS);
            MemorySegment page = Arena.ofAuto().allocate(TmemDefs.PAGE_SIZE);
            fillHeapLike(page, new SplittableRandom(3), 1);
            int n = c.compress(page);
            MemorySegment back = Arena.ofAuto().allocate(TmemDefs.PAGE_SIZE);
            c.decompress(c.output(), 0, n, c.lastFormat(), back);
            String implementation = c.implementation().replaceAll(" \\(liblz4\\)| \\(java\\)", "");
            System.out.println(WordCoder.bestCoder().name() + " " + TmemCompression.preferred() + " " + implementation
                    + (n > 0 && c.lastFormat() == PageCodec.WORDS && back.mismatch(page) < 0 ? " round trip ok" : " round trip FAILED (" + n + ")"));
        }
    }

    /** Pointers that step through a region, small integers, zero fields, repeated headers, some random words. */
    private static void fillHeapLike(MemorySegment p, SplittableRandom r, int t) {
        long base = 0x0000_0006_0000_0000L + ((long) r.nextInt(1 << 20) << 12);
        int period = 1 + r.nextInt(7);
        for (int i = 0; i < WordCoder.WORDS; i++) {
            int kind = (i % period == 0) ? 0 : r.nextInt(5);
            long v = switch (kind) {
                case 0 -> 1L | ((long) r.nextInt(4) << 3);              // a mark word
                case 1 -> base + 24L * i + r.nextInt(64);               // a pointer near the others
                case 2 -> r.nextInt(t % 3 == 0 ? 1 << 20 : 256);        // a small integer
                case 3 -> 0;
                default -> t % 5 == 0 ? r.nextLong() : base;            // noise, or the base again
            };
            set(p, i, v);
        }
    }

    private static String hex(byte[] b, int off, int len) { return HexFormat.of().formatHex(b, off, off + len); }

    private static int leInt(byte[] b, int off) {
        return (b[off] & 0xFF) | (b[off + 1] & 0xFF) << 8 | (b[off + 2] & 0xFF) << 16 | (b[off + 3] & 0xFF) << 24;
    }
}
