package org.fallow.hypervisor.core;

/** Subsystems hear about domains coming and going (tmem frees a dead client's pools, paging closes its ring, ...). */
public interface DomainLifecycle {
    default void created(Domain d) {}

    /** The domain crashed (e.g. "Dom5 out of PoD memory!"); it still exists until destroyed. */
    default void crashed(Domain d, String reason) {}

    /** The domain is being destroyed: release everything it holds. Called once, before it leaves the table. */
    default void destroyed(Domain d) {}
}
