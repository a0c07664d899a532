package org.fallow.hypervisor.xenstore;

/** A xenstore request failed; {@code name} is the errno name sent in the XS_ERROR body (e.g. "ENOENT"). */
public final class XsError extends Exception {
    private final String name;

    public XsError(String name, String why) {
        super(name + ": " + why, null, false, false);
        this.name = name;
    }

    public String errnoName() { return name; }
}
