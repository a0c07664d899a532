package org.fallow.hypervisor.xenstore;

import org.fallow.abi.wire.XsSockMsg;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;

/**
 * XS_CONTROL (xenstore-control): dom0 only. Commands as xenstored 4.17's: {@code check}, {@code log on|off} (here:
 * log every request of every client at INFO in the hypervisor's log, or stop), {@code print STRING}, {@code quota}
 * (list), {@code quota set NAME VALUE}, {@code quota DOMID} (a domain's usage), {@code quota-soft}, {@code help}.
 * Unknown commands and wrong arguments answer EINVAL, as xenstored.
 */
final class XsControl {
    private static final Logger log = LoggerFactory.getLogger(XsControl.class);

    private static final String[][] COMMANDS = {
            {"check", ""}, {"log", "on|off"}, {"print", "<string>"}, {"quota", "[set <name> <val>|<domid>]"},
            {"quota-soft", "[set <name> <val>]"}, {"help", ""},
    };

    private XsControl() {}

    static byte[] run(XenStore store, XsConnection c, List<String> vec) throws XsError {
        if (!c.privileged()) throw new XsError("EACCES", "XS_CONTROL is for dom0 only");
        if (vec.isEmpty()) throw new XsError("EINVAL", "XS_CONTROL without a command");
        String cmd = vec.get(0);
        List<String> args = vec.subList(1, vec.size());
        return switch (cmd) {
            case "check" -> {
                if (!args.isEmpty()) throw new XsError("EINVAL", "check takes no arguments");
                List<String> problems = store.check();
                if (!problems.isEmpty()) {
                    log.error("xenstore check: {}", problems);
                    throw new XsError("EIO", problems.size() + " inconsistencies");
                }
                yield ok();
            }
            case "log" -> {
                if (args.isEmpty()) yield text("Log switch settings:\nrequests: " + (store.tracingRequests() ? "on" : "off") + "\n");
                if (args.size() != 1) throw new XsError("EINVAL", "log on|off");
                switch (args.get(0)) {
                    case "on" -> store.traceRequests(true);
                    case "off" -> store.traceRequests(false);
                    default -> throw new XsError("EINVAL", "log on|off, not " + args.get(0));
                }
                log.info("{}: xenstore request log {}", c.describe(), args.get(0));
                yield ok();
            }
            case "print" -> {
                if (args.size() != 1) throw new XsError("EINVAL", "print <string>");
                log.info("control: {}", args.get(0));
                yield ok();
            }
            case "quota" -> {
                if (args.isEmpty()) yield text(store.quotas().describe());
                if (args.get(0).equals("set")) {
                    if (args.size() != 3) throw new XsError("EINVAL", "quota set <name> <val>");
                    int v;
                    try {
                        v = Integer.parseInt(args.get(2));
                    } catch (NumberFormatException e) {
                        throw new XsError("EINVAL", "quota value " + args.get(2));
                    }
                    if (!store.quotas().set(args.get(1), v)) throw new XsError("EINVAL", "no quota " + args.get(1) + " or value < 1");
                    log.info("{}: xenstore quota {} set to {}", c.describe(), args.get(1), v);
                    yield ok();
                }
                if (args.size() != 1) throw new XsError("EINVAL", "quota <domid>");
                yield text(store.domainUsage(XsPerms.parseDomid(args.get(0))));
            }
            case "quota-soft" -> {
                if (args.isEmpty()) yield text("Quota settings:\n" + String.format("%-17s: %8d %s%n", "memory", 2 * 1024 * 1024,
                        "Total Xenstore memory per domain (warning level)"));
                throw new XsError("EINVAL", "soft quotas are fixed here");
            }
            case "help" -> {
                if (!args.isEmpty()) throw new XsError("EINVAL", "help takes no arguments");
                StringBuilder sb = new StringBuilder();
                for (String[] e : COMMANDS) sb.append(e[0]).append('\t').append(e[1]).append('\n');
                // xenstored sends the help text without a terminating NUL
                yield sb.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
            }
            default -> throw new XsError("EINVAL", "unknown control command " + cmd);
        };
    }

    private static byte[] ok() { return XsSockMsg.nulTerminated("OK"); }

    private static byte[] text(String s) { return XsSockMsg.nulTerminated(s); }
}
