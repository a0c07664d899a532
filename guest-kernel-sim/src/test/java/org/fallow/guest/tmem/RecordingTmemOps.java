package org.fallow.guest.tmem;

import org.fallow.guest.hv.TmemOps;

import java.util.ArrayList;
import java.util.List;

/**
 * Records the tmem hypercalls a guest component issues, answering with fixed values (a hypervisor that stores
 * nothing: puts fail with {@code putResult}, gets miss). For checking the guest's op mapping, not tmem semantics.
 */
final class RecordingTmemOps implements TmemOps {
    final List<String> calls = new ArrayList<>();
    long putResult = -12; // -ENOMEM
    int nextPool = 0;

    @Override public long newPool(long uuidLo, long uuidHi, int flags) {
        calls.add(String.format("NEW_POOL uuid=%x,%x flags=%08x", uuidLo, uuidHi, flags));
        return nextPool++;
    }

    @Override public long destroyPool(int poolId) {
        calls.add("DESTROY_POOL " + poolId);
        return 1;
    }

    @Override public long putPage(int poolId, long oid0, long oid1, long oid2, int index, long gfn) {
        calls.add(String.format("PUT %d {%x,%x,%x} %x", poolId, oid0, oid1, oid2, index));
        return putResult;
    }

    @Override public long getPage(int poolId, long oid0, long oid1, long oid2, int index, long gfn) {
        calls.add(String.format("GET %d {%x,%x,%x} %x", poolId, oid0, oid1, oid2, index));
        return 0;
    }

    @Override public long flushPage(int poolId, long oid0, long oid1, long oid2, int index) {
        calls.add(String.format("FLUSH_PAGE %d {%x,%x,%x} %x", poolId, oid0, oid1, oid2, index));
        return 1;
    }

    @Override public long flushObject(int poolId, long oid0, long oid1, long oid2) {
        calls.add(String.format("FLUSH_OBJECT %d {%x,%x,%x}", poolId, oid0, oid1, oid2));
        return 1;
    }
}
