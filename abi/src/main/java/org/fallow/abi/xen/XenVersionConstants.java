package org.fallow.abi.xen;

/** version.h: the {@code __HYPERVISOR_xen_version} (17) sub-ops and the sizes of their OUT types. */
public final class XenVersionConstants {
    private XenVersionConstants() {}

    public static final int XENVER_version = 0, XENVER_extraversion = 1, XENVER_compile_info = 2,
            XENVER_capabilities = 3, XENVER_changeset = 4, XENVER_platform_parameters = 5, XENVER_get_features = 6,
            XENVER_pagesize = 7, XENVER_guest_handle = 8, XENVER_commandline = 9, XENVER_build_id = 10;

    /** Sizes of the XENVER_* OUT types: xen_extraversion_t 16, xen_compile_info 144, xen_capabilities_info_t 1024,
     *  xen_changeset_info_t 64, xen_commandline_t 1024. */
    public static final int XEN_EXTRAVERSION_LEN = 16, XEN_COMPILE_INFO_LEN = 144, XEN_CAPABILITIES_INFO_LEN = 1024,
            XEN_CHANGESET_INFO_LEN = 64, XEN_COMMANDLINE_LEN = 1024;
}
