package org.fallow.abi;

/** Xen's errno values (xen/include/public/errno.h, 4.12). Hypercalls return them negated. */
public final class XenErrno {
    private XenErrno() {}
    public static final int EPERM = 1, ENOENT = 2, ESRCH = 3, EIO = 5, ENXIO = 6, E2BIG = 7, ENOEXEC = 8,
            EBADF = 9, EAGAIN = 11, ENOMEM = 12, EACCES = 13, EFAULT = 14, EBUSY = 16, EEXIST = 17, EXDEV = 18,
            ENODEV = 19, EISDIR = 21, EINVAL = 22, ENFILE = 23, EMFILE = 24, ENOSPC = 28, EROFS = 30, EMLINK = 31,
            EDOM = 33, ERANGE = 34, EDEADLK = 35, ENAMETOOLONG = 36, ENOLCK = 37, ENOSYS = 38, ENOTEMPTY = 39,
            ENODATA = 61, ETIME = 62, EBADMSG = 74, EOVERFLOW = 75, EILSEQ = 84, ENOTSOCK = 88, EMSGSIZE = 90,
            EOPNOTSUPP = 95, EADDRINUSE = 98, EADDRNOTAVAIL = 99, ENOBUFS = 105, EISCONN = 106, ENOTCONN = 107,
            ETIMEDOUT = 110, ECONNREFUSED = 111;
    /** tmem.h: returned negated (-1000 / -1001). */
    public static final int EFROZEN = 1000, EEMPTY = 1001;

    /** Symbolic name of a (positive or negated) Xen errno, e.g. {@code name(-22) = "EINVAL"}. */
    public static String name(long value) {
        int e = (int) Math.abs(value);
        return switch (e) {
            case EPERM -> "EPERM"; case ENOENT -> "ENOENT"; case ESRCH -> "ESRCH"; case EIO -> "EIO";
            case ENXIO -> "ENXIO"; case E2BIG -> "E2BIG"; case ENOEXEC -> "ENOEXEC"; case EBADF -> "EBADF";
            case EAGAIN -> "EAGAIN"; case ENOMEM -> "ENOMEM"; case EACCES -> "EACCES"; case EFAULT -> "EFAULT";
            case EBUSY -> "EBUSY"; case EEXIST -> "EEXIST"; case EXDEV -> "EXDEV"; case ENODEV -> "ENODEV";
            case EISDIR -> "EISDIR"; case EINVAL -> "EINVAL"; case ENFILE -> "ENFILE"; case EMFILE -> "EMFILE";
            case ENOSPC -> "ENOSPC"; case EROFS -> "EROFS"; case EMLINK -> "EMLINK"; case EDOM -> "EDOM";
            case ERANGE -> "ERANGE"; case EDEADLK -> "EDEADLK"; case ENAMETOOLONG -> "ENAMETOOLONG";
            case ENOLCK -> "ENOLCK"; case ENOSYS -> "ENOSYS"; case ENOTEMPTY -> "ENOTEMPTY"; case ENODATA -> "ENODATA";
            case ETIME -> "ETIME"; case EBADMSG -> "EBADMSG"; case EOVERFLOW -> "EOVERFLOW"; case EILSEQ -> "EILSEQ";
            case ENOTSOCK -> "ENOTSOCK"; case EMSGSIZE -> "EMSGSIZE"; case EOPNOTSUPP -> "EOPNOTSUPP";
            case EADDRINUSE -> "EADDRINUSE"; case EADDRNOTAVAIL -> "EADDRNOTAVAIL"; case ENOBUFS -> "ENOBUFS";
            case EISCONN -> "EISCONN"; case ENOTCONN -> "ENOTCONN"; case ETIMEDOUT -> "ETIMEDOUT";
            case ECONNREFUSED -> "ECONNREFUSED"; case EFROZEN -> "EFROZEN"; case EEMPTY -> "EEMPTY";
            case 0 -> "OK";
            default -> "E" + e;
        };
    }
}
