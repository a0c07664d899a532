package org.fallow.hypervisor.tmem;

import org.fallow.abi.AbiProfile;
import org.fallow.abi.XenErrno;
import org.junit.jupiter.api.Test;

import static org.fallow.hypervisor.tmem.TmemDefs.*;
import static org.fallow.hypervisor.tmem.TmemFixture.FLAGS_412;
import static org.fallow.hypervisor.tmem.TmemFixture.oid;
import static org.junit.jupiter.api.Assertions.*;

/** Golden tests of the LIST text (Xen 4.12 tmem_control.c tmemc_list; the 2009 tmem of commit 6009f4ddb2): build a known state, assert the exact text. */
class TmemListFormatTest {
    final TmemFixture f = new TmemFixture(4096);

    /** Domain 5: private ephemeral pool 0, persistent pool 1, joined shared pool in slot 2; domain 6 owns the shared pool. */
    private void build412State() {
        assertEquals(0, f.newPool(5, FLAGS_412));
        assertEquals(1, f.newPool(5, FLAGS_412 | POOL_PERSIST));
        f.fillRandom(5, 1, 1);
        assertEquals(1, f.put(5, 0, oid(1), 0, 1));
        assertEquals(1, f.put(5, 0, oid(1), 1, 1));
        assertEquals(1, f.put(5, 1, oid(2), 0, 1));
        assertEquals(1, f.get(5, 0, oid(1), 0, 2));  // exclusive: one page back to tmem's free list
        assertEquals(1, f.get(5, 1, oid(2), 0, 2));
        assertEquals(0, f.get(5, 0, oid(9), 0, 2));
        assertEquals(-XenErrno.ENODEV, f.put(5, 3, oid(1), 0, 1), "no pool 3: an errored op");
        assertEquals(0, f.control.setClientInfo(5, new TmemControl.ClientInfo(1, 16, 0, CLIENT_FLAG_COMPRESS, 2)));
        assertEquals(0, f.newPool(6, FLAGS_412));
        f.control.sharedPoolAuth(6, 0xab, 0xcd, true);
        f.control.sharedPoolAuth(5, 0xab, 0xcd, true);
        assertEquals(1, f.newPool(6, FLAGS_412 | POOL_SHARED, 0xab, 0xcd));
        assertEquals(2, f.newPool(5, FLAGS_412 | POOL_SHARED, 0xab, 0xcd));
    }

    @Test void shortListOfEverythingAt412() {
        build412State();
        String expected = """
                G=Tt:12,Te:1,Cf:0,Af:0,Pf:0,Ta:1,Lm:0,Et:0,Ea:0,Rt:0,Ra:0,Rx:0,Fp:0
                S=SI:0,PT:ES,U0:ab,U1:cd,SC:6,SC:5
                C=CI:5,ww:2,co:1,fr:0,Tc:0,Ge:1,Pp:1,Gp:1
                P=CI:5,PI:0,PT:EP,U0:0,U1:0
                P=CI:5,PI:1,PT:PP,U0:0,U1:0
                P=CI:5,PI:1,PT:ES,U0:ab,U1:cd
                C=CI:6,ww:0,co:0,fr:0,Tc:0,Ge:0,Pp:0,Gp:0
                P=CI:6,PI:0,PT:EP,U0:0,U1:0
                P=CI:6,PI:1,PT:ES,U0:ab,U1:cd
                T
                """;
        assertEquals(expected, TmemList.text(f.engine, CLI_ID_NULL, false, false, 4096));
    }

    @Test void longListOfOneClientAt412() {
        build412State();
        String expected = """
                C=CI:5,ww:2,co:1,fr:0,Tc:0,Ge:1,Pp:1,Gp:1,Ec:1,Em:2,cp:0,cb:0,cn:0,cm:0
                P=CI:5,PI:0,PT:EP,U0:0,U1:0,Pc:1,Pm:2,Oc:1,Om:1,Nc:0,Nm:0,ps:2,pt:2,pd:0,pr:0,px:0,gs:1,gt:2,fs:0,ft:0,os:0,ot:0
                P=CI:5,PI:1,PT:PP,U0:0,U1:0,Pc:1,Pm:1,Oc:1,Om:1,Nc:0,Nm:0,ps:1,pt:1,pd:0,pr:0,px:0,gs:1,gt:1,fs:0,ft:0,os:0,ot:0
                P=CI:5,PI:1,PT:ES,U0:ab,U1:cd,Pc:0,Pm:0,Oc:0,Om:0,Nc:0,Nm:0,ps:0,pt:0,pd:0,pr:0,px:0,gs:0,gt:0,fs:0,ft:0,os:0,ot:0
                """;
        assertEquals(expected, TmemList.text(f.engine, 5, true, false, 4096));
    }

    @Test void longGlobalAndSharedLinesAt412() {
        build412State();
        String text = TmemList.text(f.engine, CLI_ID_NULL, true, false, 8192);
        String[] lines = text.split("\n");
        assertEquals("G=Tt:12,Te:1,Cf:0,Af:0,Pf:0,Ta:1,Lm:0,Et:0,Ea:0,Rt:0,Ra:0,Rx:0,Fp:0,"
                + "Ec:1,Em:2,Oc:2,Om:2,Nc:0,Nm:0,Pc:2,Pm:3,Fc:2,Fm:3,Sc:0,Sm:0,Ep:2,Gd:0,Zt:0,Gz:0", lines[0]);
        assertEquals("S=SI:0,PT:ES,U0:ab,U1:cd,SC:6,SC:5,Pc:0,Pm:0,Oc:0,Om:0,Nc:0,Nm:0,ps:0,pt:0,pd:0,pr:0,px:0,"
                + "gs:0,gt:0,fs:0,ft:0,os:0,ot:0", lines[1]);
        assertEquals("T", lines[lines.length - 1]);
    }

    @Test void unknownClientListsNothing() {
        build412State();
        assertNull(TmemList.text(f.engine, 9, false, false, 4096));
    }

    @Test void fragmentsThatWouldReachLenAreDroppedButLaterGroupsAreTried() {
        build412State();
        String g = "G=Tt:12,Te:1,Cf:0,Af:0,Pf:0,Ta:1,Lm:0,Et:0,Ea:0,Rt:0,Ra:0,Rx:0,Fp:0\n";
        assertEquals(g, TmemList.text(f.engine, CLI_ID_NULL, false, false, g.length() + 1));
        String sLine = "S=SI:0,PT:ES,U0:ab,U1:cd,SC:6,SC:5\n";
        assertEquals(sLine + "T\n", TmemList.text(f.engine, CLI_ID_NULL, false, false, g.length()),
                "G= does not fit, the shorter S= line does, the C= groups do not, T does");
        assertEquals("", TmemList.text(f.engine, CLI_ID_NULL, false, false, 2));
        assertEquals(g + "T\n", TmemList.text(f.engine, CLI_ID_NULL, false, false, g.length() + 3),
                "S= and C= do not fit, the 2-byte T line still does");
        byte[] raw = TmemList.render(TmemList.groups(f.engine, CLI_ID_NULL, false, false), g.length() + 1);
        assertEquals(g.length() + 1, raw.length, "text plus its NUL fill the buffer exactly");
        assertEquals(0, raw[raw.length - 1]);
    }

    @Test void listOf2009ProfileHasCapAndAPerfLine() {
        f.profile = AbiProfile.TMEM_2009;
        assertEquals(0, f.newPool(5, 0));
        f.fillRandom(5, 1, 1);
        assertEquals(1, f.put(5, 0, TmemOid.of2009(1), 0, 1));
        assertEquals(1, f.get(5, 0, TmemOid.of2009(1), 0, 2));
        assertEquals(-1001, f.get(5, 0, TmemOid.of2009(1), 0, 2));
        assertEquals(1, f.flushPage(5, 0, TmemOid.of2009(1), 0));
        assertEquals(0, f.control.setVar2009(5, TMEMC_SET_WEIGHT, 3));
        assertEquals(0, f.control.setVar2009(5, TMEMC_SET_CAP, 7));
        // fake clock: +1 per reading; a put reads it 4 times (op start, copy start/end, op end)
        String expected = """
                G=Tt:5,Te:1,Cf:0,Af:0,Pf:0,Ta:1,Lm:0,Et:0,Ea:0,Rt:0,Ra:0,Rx:0,Fp:0
                C=CI:5,ww:3,ca:7,co:0,fr:0
                P=CI:5,PI:0,PT:EP,U0:0,U1:0
                T=Gn:1,Gt:1,Gx:1,Gm:1,Pn:1,Pt:3,Px:3,Pm:3,gn:1,gt:1,gx:1,gm:1,pn:0,pt:0,px:0,pm:0,\
                Fn:1,Ft:1,Fx:1,Fm:1,On:0,Ot:0,Ox:0,Om:0,Cn:1,Ct:1,Cx:1,Cm:1,cn:0,ct:0,cx:0,cm:0,dn:0,dt:0,dx:0,dm:0
                """;
        assertEquals(expected, TmemList.text(f.engine, CLI_ID_NULL, false, true, 4096));
        assertEquals("C=CI:5,ww:3,ca:7,co:0,fr:0,Ec:0,Em:1,cp:0,cb:0,cn:0,cm:0\n"
                        + "P=CI:5,PI:0,PT:EP,U0:0,U1:0,Pc:0,Pm:1,Oc:0,Om:1,Nc:0,Nm:0,ps:1,pt:1,pd:0,pr:0,px:0,gs:1,gt:1,fs:0,ft:1,os:0,ot:0\n",
                TmemList.text(f.engine, 5, true, true, 4096));
        String longG = TmemList.text(f.engine, CLI_ID_NULL, true, true, 4096).split("\n")[0];
        assertTrue(longG.endsWith(",Fp:0,Ec:0,Em:1,Oc:0,Om:1,Nc:0,Nm:0,Pc:0,Pm:1"), longG);
    }
}
