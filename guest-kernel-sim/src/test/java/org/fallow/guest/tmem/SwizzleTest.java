package org.fallow.guest.tmem;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class SwizzleTest {
    @Test void referenceExample() {
        // Linux drivers/xen/tmem.c: type 1, offset 0x12345 -> oid[0] = 0x15, index = 0x1234
        assertEquals(0x15, Swizzle.oid(1, 0x12345));
        assertEquals(0x1234, Swizzle.index(0x12345));
    }

    @Test void consecutiveOffsetsRotateOverSixteenObjects() {
        for (int off = 0; off < 64; off++) {
            assertEquals((3L << 4) | (off & 15), Swizzle.oid(3, off));
            assertEquals(off >> 4, Swizzle.index(off));
        }
        assertEquals(0x0FFFFFFF, Swizzle.index(0xFFFFFFFF)); // u32 offset, logical shift
    }
}
