package org.fallow.xc.tools;

import org.fallow.xc.XcDomain;
import org.fallow.xc.XcHandle;
import org.fallow.xc.transport.XsClient;

import java.io.IOException;

/** A domain named on the command line by id or by name ({@code /local/domain/D/name}), as xl accepts both. */
public final class DomainRef {
    private DomainRef() { }

    /** The domid of {@code ref}; {@link ToolError} when no domain has that id or name. */
    public static int resolve(XcHandle xc, String ref) throws IOException {
        XcDomain dom = new XcDomain(xc);
        if (ref.matches("\\d{1,5}")) {
            int id = Integer.parseInt(ref);
            if (dom.info(id) != null) return id;
            throw new ToolError("no domain " + ref + " (see ./fallow list)");
        }
        XsClient xs = xc.xenstore();
        if (xs != null) {
            for (XcDomain.DomainInfo i : dom.xc_domain_getinfo(0, 4096)) {
                if (ref.equals(name(xc, i.domid()))) return i.domid();
            }
        }
        throw new ToolError("no domain named '" + ref + "' (see ./fallow list)");
    }

    /** The domain's name from xenstore, or null. */
    public static String name(XcHandle xc, int domid) {
        try {
            XsClient xs = xc.xenstore();
            return xs == null ? null : xs.readOrNull("/local/domain/" + domid + "/name");
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
