package org.fallow.cli.stats;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** The parser's tolerance rules; the real format is checked against the hypervisor's own LIST output in TmemListFromEngineTest. */
class TmemListingTest {
    @Test
    void toleratesTrailingNulTruncationUnknownTagsAndTheRepeatedSharedRecordBug() {
        String text = "G=Tt:5,Te:0\nS=SI:0,PT:ES,U0:a,U1:b,SC:1S=SI:1,PT:ES,U0:c,U1:d,SC:1,SC:2\n"
                + "X=whatever\nC=CI:1,ww:0,co:1,fr:0\nP=CI:1,PI:0,PT:EP,U0:0,U1:0\nP=CI:2,PI:3,PT:PP,U0:0,U1:0,Pc:1\nT\n\0garbage";
        TmemListing l = TmemListing.parse(text);
        assertEquals(5, l.global().orElseThrow().number("Tt", -1));
        assertEquals(2, l.sharedPools().size());
        assertEquals(java.util.List.of(1, 2), l.sharedPools().get(1).sharers());
        assertEquals(0xcL, new TmemListing.Pool(l.sharedPools().get(1)).uuidLo());
        assertTrue(l.clients().get(1).compress());
        assertEquals(1, l.clients().get(1).pools().size());
        assertEquals(1, l.clients().get(2).persistentPages(), "a P= record without its C= record still counts");
        assertTrue(l.perfLine());
        assertTrue(TmemListing.parse("C=CI:4,ww:1,co:0,fr:1,Tc:12,Ge:3,Pp").clients().get(4).frozen(), "truncated record");
    }
}
