/**
 * Test support shared by the tests of several modules: the real hypervisor classes run in the test's JVM (an
 * in-process toolstack and bed), in-process event channels, deterministic page contents. Main code so that other
 * modules' tests can use it with their ordinary (test-scope) dependency on the hypervisor.
 */
package org.fallow.hypervisor.testing;
