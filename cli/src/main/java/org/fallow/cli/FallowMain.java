package org.fallow.cli;

import org.fallow.abi.tools.AbiCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code ./fallow}: one command tree over every process role. Subcommands are added as the modules grow. */
@Command(name = "fallow", mixinStandardHelpOptions = true, version = "fallow 0.1.0",
        subcommands = {AbiCommand.class, org.fallow.hypervisor.HypervisorMain.class, BenchCommand.class,
                org.fallow.guest.GuestMain.class},
        description = "User-space emulator of Xen's memory-overcommit hypercall ABI (tmem, memory_op/PoD, mem_paging).")
public final class FallowMain implements Runnable {
    public static void main(String[] args) {
        System.exit(new CommandLine(new FallowMain()).execute(args));
    }

    @Override public void run() {
        new CommandLine(this).usage(System.out);
    }
}
