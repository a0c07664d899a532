package org.fallow.guest.mm;

/** The guest ran out of memory with nothing left to reclaim or kill. */
public final class GuestOutOfMemory extends RuntimeException {
    public GuestOutOfMemory(String msg) { super(msg); }
}
