/*
 * bridge_probe.c - drives the privcmd bridge (fallow_xen_bridge.c, LD_PRELOADed) the way libxencall /
 * libxenforeignmemory drive Linux's devices, without Debian's packages. Used by BridgeProbeTest.
 * Usage: bridge_probe DOMID GFN   (DOMID has GFN populated; the test checks the bytes written through the mapping)
 * Prints "ok <check>" or "FAIL <check>: ..." per check; exit status 1 if any failed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

struct privcmd_hypercall { uint64_t op; uint64_t arg[5]; };
struct privcmd_mmapbatch_v2 { unsigned int num; uint16_t dom; uint64_t addr; const uint64_t *arr; int *err; };
#define IOCTL_PRIVCMD_HYPERCALL _IOC(_IOC_NONE, 'P', 0, sizeof(struct privcmd_hypercall))
#define IOCTL_PRIVCMD_MMAPBATCH_V2 _IOC(_IOC_NONE, 'P', 4, sizeof(struct privcmd_mmapbatch_v2))
#define IOCTL_PRIVCMD_DM_OP _IOC(_IOC_NONE, 'P', 5, 16)
#define IOCTL_PRIVCMD_MMAP_RESOURCE _IOC(_IOC_NONE, 'P', 7, 32)
#define IOCTL_PRIVCMD_UNIMPLEMENTED _IOC(_IOC_NONE, 'P', 0xff, 0)

static int failures;
#define CHECK(name, cond, ...) do { if (cond) printf("ok %s\n", name); \
    else { failures++; printf("FAIL %s: ", name); printf(__VA_ARGS__); printf("\n"); } fflush(stdout); } while (0)

static long hcall(int fd, uint64_t op, uint64_t a0, uint64_t a1) {
    struct privcmd_hypercall h = {op, {a0, a1, 0, 0, 0}};
    return ioctl(fd, IOCTL_PRIVCMD_HYPERCALL, &h);
}

int main(int argc, char **argv) {
    if (argc < 3) return 2;
    int dom = atoi(argv[1]);
    uint64_t gfn = strtoull(argv[2], NULL, 0);
    int pc = open("/dev/xen/privcmd", O_RDWR | O_CLOEXEC);
    CHECK("open privcmd", pc >= 0, "errno %d", errno);
    int hb = open("/dev/xen/hypercall", O_RDWR | O_CLOEXEC);
    CHECK("open hypercall", hb >= 0, "errno %d", errno);
    uint8_t *buf = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, hb, 0);
    CHECK("hypercall buffer", buf != MAP_FAILED, "errno %d", errno);

    long v = hcall(pc, 17, 0, 0);
    CHECK("xen_version 4.17", v == 0x40011, "got %#lx", v);
    memset(buf, 0xAA, 16);
    long r = hcall(pc, 17, 1, (uintptr_t)buf);
    CHECK("xen_version extraversion", r == 0 && strcmp((char *)buf, "-fallow") == 0, "rc %ld '%.16s'", r, buf);
    r = hcall(pc, 17, 1, 0x1000); /* not a hypercall buffer */
    CHECK("bad handle -1 EFAULT", r == -1 && errno == EFAULT, "rc %ld errno %d", r, errno);
    r = hcall(pc, 99, 0, 0);
    CHECK("unknown hypercall ENOSYS", r == -1 && errno == ENOSYS, "rc %ld errno %d", r, errno);

    errno = 0;
    CHECK("UNIMPLEMENTED probe ENOTTY", ioctl(pc, IOCTL_PRIVCMD_UNIMPLEMENTED, NULL) == -1 && errno == ENOTTY, "errno %d", errno);
    CHECK("DM_OP ENOSYS", ioctl(pc, IOCTL_PRIVCMD_DM_OP, NULL) == -1 && errno == ENOSYS, "errno %d", errno);
    CHECK("MMAP_RESOURCE EOPNOTSUPP", ioctl(pc, IOCTL_PRIVCMD_MMAP_RESOURCE, NULL) == -1 && errno == EOPNOTSUPP, "errno %d", errno);

    /* foreign mapping: gfn and a gfn beyond the domain */
    uint8_t *area = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, pc, 0);
    CHECK("privcmd address space", area != MAP_FAILED, "errno %d", errno);
    uint64_t gfns[2] = {gfn, 1ULL << 40};
    int errs[2] = {99, 99};
    struct privcmd_mmapbatch_v2 b = {2, (uint16_t)dom, (uintptr_t)area, gfns, errs};
    r = ioctl(pc, IOCTL_PRIVCMD_MMAPBATCH_V2, &b);
    CHECK("MMAPBATCH_V2 per-gfn errors", r == -1 && errno == EFAULT && errs[0] == 0 && errs[1] == -EINVAL,
          "rc %ld errno %d errs %d %d", r, errno, errs[0], errs[1]);
    if (errs[0] == 0) memcpy(area + 100, "written by bridge_probe", 24);

    /* libxl's state directories are redirected into the run directory */
    int f = open("/var/lib/xen/bridge-probe", O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0600);
    CHECK("redirected /var/lib/xen", f >= 0 && write(f, "x", 1) == 1, "errno %d", errno);
    if (f >= 0) close(f);
    struct stat st;
    CHECK("stat through the redirect", stat("/var/lib/xen/bridge-probe", &st) == 0 && st.st_size == 1, "errno %d", errno);

    /* a forked child gets its own connection (and still has the parent's buffers) */
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        long cv = hcall(pc, 17, 0, 0);
        long cr = hcall(pc, 17, 1, (uintptr_t)buf);
        _exit(cv == 0x40011 && cr == 0 ? 0 : 3);
    }
    int status = 0;
    waitpid(child, &status, 0);
    CHECK("fork: the child's hypercalls", WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %#x", status);
    CHECK("parent still served after the fork", hcall(pc, 17, 0, 0) == 0x40011, "errno %d", errno);
    munmap(buf, 4096);
    return failures ? 1 : 0;
}
