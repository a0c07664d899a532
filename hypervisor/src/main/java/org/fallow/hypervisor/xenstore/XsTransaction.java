package org.fallow.hypervisor.xenstore;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An open transaction (xenstored's model): the first access to a node inside it takes a private copy of the node (or
 * notes that it is absent) with its generation; later reads and writes in the transaction see only that copy, so the
 * transaction reads a consistent snapshot of everything it touched and other clients see nothing of it until it
 * commits. At commit every accessed node's generation is compared with the store's: any difference (a write, a new
 * child, a removal, a creation by someone else) aborts with EAGAIN; otherwise the changed nodes are written with new
 * generations and the watches fire. The number of accessed nodes is bounded ({@code transaction-nodes} quota).
 */
final class XsTransaction {
    static final long ABSENT = -1;

    record Change(String path, boolean removed, XsPerms perms) {}

    final int id;
    /** path → node as seen by the transaction; a null value = absent. */
    final Map<String, XsNode> overlay = new HashMap<>();
    /** path → generation (or ABSENT) when first accessed. */
    final Map<String, Long> accessed = new HashMap<>();
    final Set<String> dirty = new LinkedHashSet<>();
    final List<Change> changes = new ArrayList<>();
    /** Nodes owned per domain that this transaction adds (+) or removes (-). */
    final Map<Integer, Integer> ownerDelta = new HashMap<>();

    XsTransaction(int id) { this.id = id; }
}
