package org.fallow.xc;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class TmemListParserTest {
    static final String TEXT = """
            G=Tt:12,Te:1,Cf:0,Af:0,Pf:0,Ta:1,Lm:0,Et:0,Ea:0,Rt:0,Ra:0,Rx:0,Fp:0
            S=SI:0,PT:ES,U0:ab,U1:cd,SC:6,SC:5
            C=CI:5,ww:2,co:1,fr:0,Tc:0,Ge:1,Pp:1,Gp:1,Ec:1,Em:2,cp:0,cb:77,cn:0,cm:0
            P=CI:5,PI:0,PT:EP,U0:0,U1:0,Pc:1,Pm:2,Oc:1,Om:1,Nc:0,Nm:0,ps:2,pt:2,pd:0,pr:0,px:0,gs:1,gt:2,fs:0,ft:0,os:0,ot:0
            P=CI:5,PI:1,PT:PP,U0:0,U1:0,Pc:3,Pm:3,Oc:1,Om:1,Nc:0,Nm:0,ps:1,pt:1,pd:0,pr:0,px:0,gs:1,gt:1,fs:0,ft:0,os:0,ot:0
            C=CI:6,ww:0,co:0,fr:1,Tc:0,Ge:0,Pp:0,Gp:0,Ec:0,Em:0,cp:0,cb:0,cn:0,cm:0
            T
            """;

    @Test void parsesRecordsAndSumsUpClients() {
        var recs = TmemListParser.parse(TEXT);
        assertEquals(7, recs.size());
        assertEquals("S", recs.get(1).tag());
        assertEquals("6 5", recs.get(1).fields().get("SC"));
        assertEquals(0xcd, recs.get(1).num("U1"));
        assertEquals("T", recs.get(6).tag());
        Map<Integer, TmemListParser.ClientSummary> c = TmemListParser.clients(TEXT);
        assertEquals(new TmemListParser.ClientSummary(5, 2, true, false, 1, 3, 1, 1, 1, 77, 2), c.get(5));
        assertTrue(c.get(6).frozen());
        assertEquals(0, c.get(6).pools());
    }
}
