package org.fallow.abi.tools;

import static org.junit.jupiter.api.Assertions.*;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.fallow.abi.xen.AbiRegistry;
import org.fallow.abi.xen.AbiStruct;
import org.fallow.abi.xen.TmemOp;
import org.fallow.abi.xen.TmemOp2009;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class AbiCommandTest {
    record Result(int exit, String out, String err) {
        List<String> lines() { return out.isEmpty() ? List.of() : Arrays.asList(out.split("\n")); }
    }

    private static Result run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine cl = new CommandLine(new AbiCommand());
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int exit = cl.execute(args);
        return new Result(exit, out.toString().replace("\r", ""), err.toString());
    }

    @Test
    void layoutsContainTheExactTmemOpRows() {
        Result r = run("layouts");
        assertEquals(0, r.exit(), r.err());
        List<String> lines = r.lines();
        for (String row : List.of(
                "4.12\ttmem_op\tcmd\t0\t4",
                "4.12\ttmem_op\tpool_id\t4\t4",
                "4.12\ttmem_op\tu\t8\t48",
                "4.12\ttmem_op\tu.creat.uuid\t8\t16",
                "4.12\ttmem_op\tu.creat.flags\t24\t4",
                "4.12\ttmem_op\tu.creat.arg1\t28\t4",
                "4.12\ttmem_op\tu.gen.oid\t8\t24",
                "4.12\ttmem_op\tu.gen.index\t32\t4",
                "4.12\ttmem_op\tu.gen.tmem_offset\t36\t4",
                "4.12\ttmem_op\tu.gen.pfn_offset\t40\t4",
                "4.12\ttmem_op\tu.gen.len\t44\t4",
                "4.12\ttmem_op\tu.gen.cmfn\t48\t8",
                "4.12\ttmem_op\t<sizeof>\t0\t56",
                "2009\ttmem_op\tu.ctrl.buf\t24\t8",
                "2009\ttmem_op\tu.gen.object\t8\t8",
                "2009\ttmem_op\tu.gen.cmfn\t32\t8",
                "2009\ttmem_op\t<sizeof>\t0\t40",
                "4.12\tvm_event_request\tu.mem_paging.p2mt\t32\t4",
                "4.12\tvm_event_request\t<sizeof>\t0\t376",
                "4.12\txen_pod_target\t<sizeof>\t0\t40")) {
            assertTrue(lines.contains(row), "missing row " + row.replace('\t', ' '));
        }
        for (String line : lines) assertEquals(5, line.split("\t").length, line);
        long sizeofRows = lines.stream().filter(l -> l.contains("\t<sizeof>\t")).count();
        assertEquals(AbiRegistry.all().size(), sizeofRows);
    }

    @Test
    void layoutsFilterByProfileAndStruct() {
        Result r = run("layouts", "--profile", "2009", "--struct", "tmem_op");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.lines().stream().allMatch(l -> l.startsWith("2009\ttmem_op\t")), r.out());
        assertTrue(r.lines().contains("2009\ttmem_op\t<sizeof>\t0\t40"));
        assertNotEquals(0, run("layouts", "--profile", "1999").exit());
    }

    @Test
    void diagramDrawsTheStructOfTheProfile() {
        Result r = run("diagram", "tmem_op");
        assertEquals(0, r.exit(), r.err());
        assertEquals("tmem_op (56 bytes)", r.lines().getFirst());
        assertTrue(r.lines().stream().anyMatch(l -> l.matches(" +32 +4 +index +le32")), r.out());
        Result old = run("diagram", "--profile", "2009", "tmem_op");
        assertEquals(0, old.exit(), old.err());
        assertEquals("tmem_op (40 bytes)", old.lines().getFirst());
        assertNotEquals(0, run("diagram", "no_such_struct").exit());
    }

    @Test
    void encodeMatchesTheFlyweightAndDecodeRoundTrips() {
        Result enc = run("encode", "tmem_op", "cmd=4", "pool_id=3", "u.gen.oid.oid=1,2,3", "u.gen.index=7", "u.gen.cmfn=0x1234");
        assertEquals(0, enc.exit(), enc.err());
        String hex = enc.out().trim();
        TmemOp op = new TmemOp().wrapNew().cmd(4).poolId(3).genOid(1, 2, 3).genIndex(7).genCmfn(0x1234);
        assertEquals(op.toHex(), hex);

        Result dec = run("decode", "tmem_op", hex);
        assertEquals(0, dec.exit(), dec.err());
        assertTrue(dec.lines().contains("cmd=4"), dec.out());
        assertTrue(dec.lines().contains("u.gen.oid.oid[2]=0x3"), dec.out());
        assertTrue(dec.lines().contains("u.gen.cmfn=0x1234"), dec.out());

        List<String> args = new ArrayList<>(List.of("encode", "tmem_op"));
        args.addAll(dec.lines());
        Result again = run(args.toArray(String[]::new));
        assertEquals(hex, again.out().trim(), "encode(decode(x)) == x");
    }

    @Test
    void decodeEncodeRoundTripForEveryStructWithPatternedBytes() {
        for (AbiStruct s : AbiRegistry.all()) {
            byte[] bytes = new byte[(int) s.size()];
            for (int i = 0; i < bytes.length; i++) bytes[i] = (byte) (i * 37 + 11);
            // compiler padding is not a field: decode/encode cannot carry it, so zero it the way the layout says
            byte[] expected = org.fallow.abi.xen.StructCodec.encode(s, org.fallow.abi.xen.StructCodec.decode(s, bytes));
            String hex = HexFormat.of().formatHex(bytes);
            Result dec = run("decode", "--profile", s.profile().label(), s.name(), hex);
            assertEquals(0, dec.exit(), s.name() + ": " + dec.err());
            List<String> args = new ArrayList<>(List.of("encode", "--profile", s.profile().label(), s.name()));
            args.addAll(dec.lines());
            Result enc = run(args.toArray(String[]::new));
            assertEquals(0, enc.exit(), s.name() + ": " + enc.err());
            assertEquals(HexFormat.of().formatHex(expected), enc.out().trim(), s.profile().label() + " " + s.name());
            // every byte not in padding survives
            byte[] back = HexFormat.of().parseHex(enc.out().trim());
            int kept = 0;
            for (int i = 0; i < bytes.length; i++) if (back[i] == bytes[i]) kept++;
            assertTrue(kept >= bytes.length - 8, s.name() + " lost more than padding: kept " + kept + "/" + bytes.length);
        }
    }

    @Test
    void profile2009EncodesTheFortyByteOp() {
        Result enc = run("encode", "--profile", "2009", "tmem_op", "cmd=0", "u.ctrl.subop=4", "u.ctrl.cli_id=-1",
                "u.ctrl.arg1=4096", "u.ctrl.arg2=1");
        assertEquals(0, enc.exit(), enc.err());
        TmemOp2009 op = new TmemOp2009().wrapNew().ctrlSubop(4).ctrlCliId(0xFFFFFFFFL).ctrlArg1(4096).ctrlArg2(1);
        assertEquals(op.toHex(), enc.out().trim());
        assertEquals(80, enc.out().trim().length());
        // a shared struct resolves to 4.12 under the 2009 profile
        assertEquals(0, run("encode", "--profile", "2009", "xen_pod_target", "domid=5").exit());
    }

    @Test
    void badInputGetsAClearErrorNotAStackTrace() {
        Result unknown = run("decode", "no_such_struct", "00");
        assertNotEquals(0, unknown.exit());
        assertTrue(unknown.err().contains("unknown struct 'no_such_struct'"), unknown.err());
        Result tooLong = run("decode", "xen_domctl_max_mem", "00".repeat(9));
        assertNotEquals(0, tooLong.exit());
        assertTrue(tooLong.err().contains("is 8 bytes, got 9"), tooLong.err());
        Result badField = run("encode", "tmem_op", "u.gen.nope=1");
        assertNotEquals(0, badField.exit());
        assertTrue(badField.err().contains("no field 'u.gen.nope'"), badField.err());
        Result overflow = run("encode", "xen_pod_target", "domid=65536");
        assertNotEquals(0, overflow.exit());
        assertTrue(overflow.err().contains("does not fit"), overflow.err());
        Result group = run("encode", "tmem_op", "u.gen=1");
        assertNotEquals(0, group.exit());
    }

    @Test
    void shortInputIsZeroFilledWithANote() {
        Result r = run("decode", "xen_mem_paging_op", "00 00 0500");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.lines().contains("domain=5"), r.out());
        assertTrue(r.lines().contains("gfn=0x0"), r.out());
        assertTrue(r.err().contains("4 of 24 bytes"), r.err());
    }
}
