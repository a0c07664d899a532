package org.fallow.xc.tools;

import org.fallow.abi.XenErrno;

/**
 * A toolstack command failed in a way the user can act on: the message is one line in words (what failed, why, what
 * to do), with the Xen errno name, if any, only as a detail at the end. {@code ./fallow} prints it as
 * {@code fallow CMD: message} and exits 1.
 */
public final class ToolError extends RuntimeException {
    public ToolError(String message) {
        super(message);
    }

    /** {@code what}: {@code why} [ERRNO] — {@code why} defaults to the errno in words. */
    public static ToolError of(String what, long rc, String why) {
        return new ToolError(what + ": " + (why != null ? why : words(rc)) + " [" + XenErrno.name(rc) + "]");
    }

    /** A Xen errno in words, for messages. */
    public static String words(long rc) {
        return switch ((int) -Math.abs(rc)) {
            case -XenErrno.ESRCH -> "there is no such domain (see ./fallow list)";
            case -XenErrno.ENOMEM -> "the hypervisor has not enough free memory";
            case -XenErrno.EINVAL -> "the hypervisor refused the value as invalid";
            case -XenErrno.EPERM, -XenErrno.EACCES -> "permission denied";
            case -XenErrno.EBUSY -> "the domain is busy";
            case -XenErrno.EEXIST -> "it exists already";
            case -XenErrno.ENOSYS, -XenErrno.EOPNOTSUPP -> "the hypervisor does not support it";
            case -XenErrno.EXDEV -> "not possible for a populate-on-demand domain";
            default -> "the hypervisor returned an error";
        };
    }
}
