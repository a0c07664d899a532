/**
 * Test support shared by the tests of several modules: the real hypervisor classes run in the test's JVM (an
 * in-process toolstack and bed, a whole hypervisor served on a socket in a private run directory:
 * {@link org.fallow.hypervisor.testing.ServedHypervisor}) and in-process event channels. Test code: other modules get it from the hypervisor's
 * test-jar in test scope (and the cli's benchmarks at run time), so no client module depends on the hypervisor.
 */
package org.fallow.hypervisor.testing;
