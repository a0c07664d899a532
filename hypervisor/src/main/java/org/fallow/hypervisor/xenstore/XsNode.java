package org.fallow.hypervisor.xenstore;

import java.util.ArrayList;
import java.util.List;

/**
 * One xenstore node, immutable: its value, permissions, children (in creation order, as xenstored lists them) and
 * generation (a store-wide counter stamped on every change of the node, incl. its children list; transactions compare
 * it at commit, XS_DIRECTORY_PART reports it). A change makes a new node, so a transaction's snapshot of a node is a
 * reference.
 */
record XsNode(byte[] value, XsPerms perms, List<String> children, long generation) {
    /** The size xenstored charges against the node-size quota: record header, perms, value and the children list. */
    int recordSize() {
        int childBytes = 0;
        for (String c : children) childBytes += c.length() + 1;
        return 24 + perms.recordBytes() + value.length + childBytes;
    }

    XsNode withValue(byte[] v, long gen) { return new XsNode(v, perms, children, gen); }

    XsNode withPerms(XsPerms p, long gen) { return new XsNode(value, p, children, gen); }

    XsNode withChild(String name, long gen) {
        if (children.contains(name)) return this;
        List<String> c = new ArrayList<>(children.size() + 1);
        c.addAll(children);
        c.add(name);
        return new XsNode(value, perms, List.copyOf(c), gen);
    }

    XsNode withoutChild(String name, long gen) {
        List<String> c = new ArrayList<>(children);
        c.remove(name);
        return new XsNode(value, perms, List.copyOf(c), gen);
    }
}
