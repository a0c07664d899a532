package org.fallow.abi.xen;

import java.lang.foreign.StructLayout;
import java.util.List;
import java.util.function.Supplier;
import org.fallow.abi.AbiProfile;

/**
 * One registered C struct of a profile: its name as in Xen's headers ({@code tmem_op}), the C type expression a
 * probe uses ({@code struct tmem_op}, {@code vm_event_request_t}), its layout, and a flyweight factory.
 */
public record AbiStruct(AbiProfile profile, String name, String cType, StructLayout layout,
                        Supplier<? extends Flyweight<?>> flyweight) {
    /** {@code sizeof} of the C struct. */
    public long size() { return layout.byteSize(); }

    public List<LayoutField> fields() { return LayoutFields.of(layout); }
}
