package org.fallow.xc;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** xc_tmem_uuid_parse: the 16 hex digits before the dash at 18 are uuid[1] (hi), the rest uuid[0] (lo). */
class XcTmemUuidTest {
    @Test void splitsAtTheThirdDash() {
        assertArrayEquals(new long[] {0x89abcdef01234567L, 0x0123456789abcdefL},
                XcTmem.parseUuid("01234567-89ab-cdef-89ab-cdef01234567"));
        assertArrayEquals(new long[] {0x1111, 0x2222}, XcTmem.parseUuid("00000000-0000-2222-0000-000000001111"));
        assertArrayEquals(new long[] {0xFFFFFFFFFFFFFFFFL, 0xFFFFFFFFFFFFFFFFL},
                XcTmem.parseUuid("FFFFFFFF-ffff-FFFF-ffff-FFFFFFFFFFFF"));
    }

    @Test void rejectsMalformedStrings() {
        assertNull(XcTmem.parseUuid("01234567_89ab-cdef-89ab-cdef01234567"), "dash expected at 8");
        assertNull(XcTmem.parseUuid("0123456g-89ab-cdef-89ab-cdef01234567"), "not hex");
        assertNull(XcTmem.parseUuid("01234567-89ab-cdef-89ab-cdef0123456"), "too short");
        assertNull(XcTmem.parseUuid("01234567-89ab-cdef-89ab-cdef012345678"), "too long");
        assertNull(XcTmem.parseUuid(""));
    }
}
