/*
 * fallow_c_client.c - a Fallow client written from docs/PROTOCOL.md and the real Xen public headers only.
 *
 * It proves two claims of the project: PROTOCOL.md is enough to write a client in C, and the hypercall structs
 * Fallow reads are byte-exact with Xen's (struct xen_domctl, xen_memory_reservation, xen_pod_target, tmem_op,
 * multicall_entry come from /usr/include/xen and are placed, unmodified, in shared memory).
 *
 * Build:  gcc -std=gnu11 -D__XEN_TOOLS__ -I/usr/include -o fallow_c_client fallow_c_client.c
 *         (gnu11, not c11: the Xen headers use anonymous unions, which they refuse under strict ISO C.
 *          __XEN_TOOLS__ unlocks domctl.h/sysctl.h and selects the latest interface, 0x00040e00 in 4.17,
 *          which is still < 0x00041300, so tmem.h's struct tmem_op is visible.)
 * Run:    fallow_c_client <hypervisor socket>
 * Output: one line per check, "ok <name>" or "FAIL <name>: details"; exit status 1 if any check failed.
 *
 * Interface versions: the installed headers are Xen 4.17 (XEN_DOMCTL_INTERFACE_VERSION and
 * XEN_SYSCTL_INTERFACE_VERSION are 0x15 there). Fallow speaks Xen 4.12 (PROTOCOL §4: domctl 0x11, sysctl 0x12),
 * so the 4.12 numbers are used below instead of the header macros. The createdomain/getdomaininfo layouts are the
 * installed 4.17 ones (docs/ABI.md), which is why the header structs are used as they are.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <xen/xen.h>
#include <xen/domctl.h>
#include <xen/sysctl.h>
#include <xen/memory.h>
#include <xen/tmem.h>

/* ---- Xen 4.12 numbers that the 4.17 headers do not carry (Xen 4.12 public/domctl.h and sysctl.h; Xen 4.12 common/tmem_control.c, public/sysctl.h) ---- */
#define FALLOW_DOMCTL_IV_4_12 0x00000011u
#define FALLOW_SYSCTL_IV_4_12 0x00000012u
#define FALLOW_SYSCTL_tmem_op 24u            /* commented out in 4.17 sysctl.h */
#define FALLOW_SYSCTL_TMEM_OP_LIST 4u
#define FALLOW_TMEM_ALL_CLIENTS 0xFFFFu

/*
 * struct xen_sysctl_tmem_op of Xen 4.12 sysctl.h (Xen 4.12 common/tmem_control.c, public/sysctl.h, 56 bytes): tmem left the headers after 4.12,
 * so the 4.17 sysctl.h has no such member; it is defined here and overlaid on xen_sysctl.u (offset 8).
 */
struct fallow_sysctl_tmem_op_4_12 {
    uint32_t cmd;           /*  0 XEN_SYSCTL_TMEM_OP_* */
    int32_t pool_id;        /*  4 */
    uint32_t cli_id;        /*  8 domid, 0xFFFF = all */
    uint32_t len;           /* 12 bytes in buf */
    uint32_t arg;           /* 16 */
    uint32_t pad;           /* 20 must be 0 */
    uint64_t oid[3];        /* 24 struct xen_tmem_oid */
    uint64_t buf;           /* 48 XEN_GUEST_HANDLE_64(char) u.buf */
};
_Static_assert(sizeof(struct fallow_sysctl_tmem_op_4_12) == 56, "xen_sysctl_tmem_op is 56 bytes");
_Static_assert(offsetof(struct xen_sysctl, u) == 8, "xen_sysctl.u at 8");
_Static_assert(sizeof(struct xen_sysctl) == 136, "xen_sysctl 136 bytes (PROTOCOL §4)");
_Static_assert(sizeof(struct xen_domctl) == 144, "xen_domctl 144 bytes (PROTOCOL §4)");
_Static_assert(sizeof(struct tmem_op) == 56, "tmem_op 56 bytes (PROTOCOL §4, profile 4.12)");
_Static_assert(sizeof(multicall_entry_t) == 64, "multicall_entry 64 bytes (PROTOCOL §4)");

/* ---- PROTOCOL §1 ---- */
enum {
    T_HELLO = 1, T_HELLO_ACK = 2, T_HYPERCALL = 3, T_HYPERCALL_RET = 4, T_EVTCHN_SEND = 5, T_MEM_FAULT = 6,
    T_FAULT_DONE = 7, T_ERROR = 8, T_XENSTORE = 9, T_DOMAIN_EVENT = 10, T_BYE = 11
};
#define FRAME_MAGIC 0x574C4146u
#define HDR 24
#define MAX_PAYLOAD 8192
#define PAGE 4096u

/* p2m (PROTOCOL §3.3) */
#define P2M_HDR 4096           /* the header page: 64-byte header, then the PoD extent table */
#define P2M_NR_POD_EXTENTS 20  /* u32 in the header */
#define P2M_POD_EXTENTS 64     /* {u64 first_gfn, u64 end_gfn} x 252 */
#define P2M_POD_EXTENTS_MAX 252
#define P2M_RAM_RW 0
#define P2M_INVALID 1
#define P2M_POD 6
#define P2M_UNSET 0            /* stored type byte of an entry without a type of its own */
#define P2M_STORED(t) ((uint32_t)(t) + 1u)
#define INFLIGHT 0x10000u

/* Xen errno (Xen 4.12 public/errno.h) */
#define XEN_EPERM 1
#define XEN_EFAULT 14
#define XEN_ENOSYS 38
#define XEN_EBADMSG 74

static int failures;

static void ok(const char *name) { printf("ok %s\n", name); fflush(stdout); }

static void fail(const char *name, const char *fmt, ...) {
    va_list ap;
    failures++;
    printf("FAIL %s: ", name);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
}

/* a check that passes when cond holds; details printed otherwise */
#define CHECK(name, cond, ...) do { if (cond) ok(name); else fail(name, __VA_ARGS__); } while (0)

static void die(const char *what) {
    printf("FAIL fatal: %s (%s)\n", what, strerror(errno));
    exit(2);
}

/* ---- little-endian byte helpers (explicit, whatever the host) ---- */
static void put16(uint8_t *p, uint16_t v) { p[0] = v; p[1] = v >> 8; }
static void put32(uint8_t *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = v >> (8 * i); }
static void put64(uint8_t *p, uint64_t v) { for (int i = 0; i < 8; i++) p[i] = v >> (8 * i); }
static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t get32(const uint8_t *p) { uint32_t v = 0; for (int i = 3; i >= 0; i--) v = v << 8 | p[i]; return v; }
static uint64_t get64(const uint8_t *p) { uint64_t v = 0; for (int i = 7; i >= 0; i--) v = v << 8 | p[i]; return v; }

/* ---- socket and frames ---- */
struct frame {
    uint8_t type;
    uint64_t request_id;
    uint32_t length;
    uint8_t payload[MAX_PAYLOAD];
};

static int connect_to(const char *path) {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) die("socket");
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof sa.sun_path) { errno = ENAMETOOLONG; die("socket path"); }
    strcpy(sa.sun_path, path);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) die("connect");
    return fd;
}

static void write_all(int fd, const void *buf, size_t n) {
    const uint8_t *p = buf;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) die("write");
        p += w;
        n -= (size_t)w;
    }
}

/* reads exactly n bytes; 1 = done, 0 = orderly EOF before the first byte, -1 = timeout/error/EOF mid-way */
static int read_exact(int fd, void *buf, size_t n, int timeout_ms) {
    uint8_t *p = buf;
    size_t got = 0;
    while (got < n) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int r = poll(&pfd, 1, timeout_ms);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return -1;
        ssize_t k = read(fd, p + got, n - got);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) return -1;
        if (k == 0) return got == 0 ? 0 : -1;
        got += (size_t)k;
    }
    return 1;
}

static size_t encode_header(uint8_t *h, uint8_t type, uint64_t request_id, uint32_t length) {
    put32(h, FRAME_MAGIC);
    h[4] = 1;                /* version */
    h[5] = type;
    put16(h + 6, 0);         /* flags */
    put64(h + 8, request_id);
    put32(h + 16, length);
    put32(h + 20, 0);        /* reserved */
    return HDR;
}

static void send_frame(int fd, uint8_t type, uint64_t request_id, const void *payload, uint32_t length) {
    uint8_t buf[HDR + MAX_PAYLOAD];
    encode_header(buf, type, request_id, length);
    if (length) memcpy(buf + HDR, payload, length);
    write_all(fd, buf, HDR + length);
}

/* raw header bytes of the last frame read, for byte-by-byte checks */
static uint8_t last_header[HDR];

/* 1 = frame read, 0 = EOF, -1 = timeout/garbage */
static int read_frame(int fd, struct frame *f) {
    int r = read_exact(fd, last_header, HDR, 20000);
    if (r <= 0) return r;
    if (get32(last_header) != FRAME_MAGIC || last_header[4] != 1) return -1;
    f->type = last_header[5];
    f->request_id = get64(last_header + 8);
    f->length = get32(last_header + 16);
    if (f->length > MAX_PAYLOAD) return -1;
    if (f->length && read_exact(fd, f->payload, f->length, 20000) != 1) return -1;
    return 1;
}

/* reads frames until one that is not unsolicited (request_id 0); those are skipped */
static int read_reply(int fd, struct frame *f) {
    for (;;) {
        int r = read_frame(fd, f);
        if (r != 1) return r;
        if (f->request_id != 0) return 1;
    }
}

static uint64_t next_id = 1;

/* one hypercall, waiting for its HYPERCALL_RET; returns Xen's value, or a sentinel on protocol trouble */
#define PROTO_TROUBLE INT64_MIN
static int64_t hypercall(int fd, uint64_t op, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4) {
    uint8_t p[48];
    uint64_t args[6] = {op, a0, a1, a2, a3, a4};
    for (int i = 0; i < 6; i++) put64(p + 8 * i, args[i]);
    uint64_t id = next_id++;
    send_frame(fd, T_HYPERCALL, id, p, sizeof p);
    struct frame f;
    if (read_reply(fd, &f) != 1) return PROTO_TROUBLE;
    if (f.type != T_HYPERCALL_RET || f.request_id != id || f.length != 8) {
        printf("# unexpected reply type %u id %llu len %u\n", f.type, (unsigned long long)f.request_id, f.length);
        return PROTO_TROUBLE;
    }
    return (int64_t)get64(f.payload);
}

/* ---- HELLO (PROTOCOL §2) ---- */
struct ack {
    int64_t status;
    uint16_t domid;
    uint64_t nr_frames;
    uint32_t xen_version;
    char run_dir[4096];
};

static void send_hello(int fd, uint32_t role, uint16_t domid, const uint8_t secret[16], uint64_t arena_base,
                       uint64_t arena_len, const char *arena_path) {
    uint8_t p[MAX_PAYLOAD];
    uint32_t path_len = arena_path ? (uint32_t)strlen(arena_path) : 0;
    memset(p, 0, 48);
    put32(p + 0, role);
    put32(p + 4, 1);               /* profile: Xen 4.12 */
    put16(p + 8, domid);
    put16(p + 10, 0);
    put32(p + 12, path_len);
    if (secret) memcpy(p + 16, secret, 16);
    put64(p + 32, arena_base);
    put64(p + 40, arena_len);
    if (path_len) memcpy(p + 48, arena_path, path_len);
    send_frame(fd, T_HELLO, next_id++, p, 48 + path_len);
}

/* reads HELLO_ACK and checks every byte of header and fixed payload; prefix names the checks */
static int read_ack(int fd, uint64_t hello_id, const char *prefix, uint16_t want_domid, struct ack *a) {
    struct frame f;
    char name[128];
    snprintf(name, sizeof name, "%s_hello_ack", prefix);
    if (read_frame(fd, &f) != 1) { fail(name, "no frame"); return 0; }
    const uint8_t *h = last_header;
    uint8_t want_magic[4] = {0x46, 0x41, 0x4C, 0x57};
    if (memcmp(h, want_magic, 4) != 0) { fail(name, "magic bytes %02x %02x %02x %02x", h[0], h[1], h[2], h[3]); return 0; }
    if (h[4] != 1 || h[5] != T_HELLO_ACK || h[6] || h[7]) { fail(name, "version/type/flags %u %u %u %u", h[4], h[5], h[6], h[7]); return 0; }
    if (get64(h + 8) != hello_id) { fail(name, "request_id %llu, want %llu", (unsigned long long)get64(h + 8), (unsigned long long)hello_id); return 0; }
    if (get32(h + 20) != 0) { fail(name, "reserved %u", get32(h + 20)); return 0; }
    uint32_t len = get32(h + 16);
    if (len < 32) { fail(name, "length %u < 32", len); return 0; }
    const uint8_t *p = f.payload;
    a->status = (int64_t)get64(p);
    a->domid = get16(p + 8);
    uint16_t pad1 = get16(p + 10);
    uint32_t path_len = get32(p + 12);
    a->nr_frames = get64(p + 16);
    a->xen_version = get32(p + 24);
    uint32_t pad2 = get32(p + 28);
    if (a->status != 0) { fail(name, "status %lld", (long long)a->status); return 0; }
    if (len != 32 + path_len) { fail(name, "length %u != 32 + path_len %u", len, path_len); return 0; }
    if (a->domid != want_domid || pad1 || pad2) { fail(name, "domid %u (want %u) pads %u %u", a->domid, want_domid, pad1, pad2); return 0; }
    if (a->xen_version != 0x0004000Cu) { fail(name, "xen_version 0x%08x", a->xen_version); return 0; }
    if (a->nr_frames == 0) { fail(name, "nr_frames 0"); return 0; }
    if (path_len == 0 || path_len >= sizeof a->run_dir) { fail(name, "run_dir length %u", path_len); return 0; }
    memcpy(a->run_dir, p + 32, path_len);
    a->run_dir[path_len] = 0;
    if (memchr(a->run_dir, 0, path_len)) { fail(name, "NUL inside run_dir"); return 0; }
    ok(name);
    return 1;
}

/* ======================================================================================================== */
/* toolstack part                                                                                           */
/* ======================================================================================================== */

#define ARENA_LEN (64u * 1024u)
static uint8_t *arena;           /* the client's mapping; handles are its real addresses (as privcmd buffers) */
static char arena_path[4200];
static void remove_arena(void) { if (arena_path[0]) unlink(arena_path); }
static uint64_t H(const void *p) { return (uint64_t)(uintptr_t)p; }

/* arena carve-out */
static size_t arena_used;
static void *arena_alloc(size_t n) {
    size_t off = (arena_used + 63) & ~(size_t)63;
    if (off + n > ARENA_LEN) { errno = ENOMEM; die("arena full"); }
    arena_used = off + n;
    memset(arena + off, 0, n);
    return arena + off;
}

static int tfd;            /* toolstack connection */
static struct xen_domctl *tdomctl(uint16_t cmd, uint16_t domid) {
    static struct xen_domctl *d;
    if (!d) d = arena_alloc(sizeof *d);
    memset(d, 0, sizeof *d);
    d->cmd = cmd;
    d->interface_version = FALLOW_DOMCTL_IV_4_12;
    d->domain = domid;
    return d;
}

static int64_t domctl(int fd, struct xen_domctl *d) { return hypercall(fd, __HYPERVISOR_domctl, H(d), 0, 0, 0, 0); }

#define DOM_PAGES 1024u     /* max_mem */
#define RAM_GFNS 16u        /* gfns 0..15 populated */
#define POD_GFNS 48u        /* gfns 16..63 populate-on-demand */

static uint16_t toolstack(const char *sock, const uint8_t handle[16], char *run_dir_out, size_t run_dir_cap) {
    /*
     * The arena file: PROTOCOL §3.1. It lives next to the socket (the run dir is only known after HELLO_ACK), under
     * an absolute path (the hypervisor opens it by name), and is unlinked at exit.
     */
    char sock_dir[4096];
    if (!realpath(sock, sock_dir)) die("realpath socket");
    char *slash = strrchr(sock_dir, '/');
    if (slash == sock_dir) slash[1] = 0; else *slash = 0;
    snprintf(arena_path, sizeof arena_path, "%s/c-arena-%d", sock_dir, (int)getpid());
    int afd = open(arena_path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600); /* SECURITY.md: new, 0600, no link */
    if (afd < 0) die("arena open");
    atexit(remove_arena);
    if (ftruncate(afd, ARENA_LEN) < 0) die("arena ftruncate");
    arena = mmap(NULL, ARENA_LEN, PROT_READ | PROT_WRITE, MAP_SHARED, afd, 0);
    if (arena == MAP_FAILED) die("arena mmap");

    int fd = connect_to(sock);
    uint64_t hello_id = next_id;
    send_hello(fd, 1, 0, NULL, H(arena), ARENA_LEN, arena_path);
    struct ack a;
    if (!read_ack(fd, hello_id, "toolstack", 0, &a)) exit(1);
    snprintf(run_dir_out, run_dir_cap, "%s", a.run_dir);

    /* createdomain */
    struct xen_domctl *d = arena_alloc(sizeof *d);
    d->cmd = XEN_DOMCTL_createdomain;
    d->interface_version = FALLOW_DOMCTL_IV_4_12;
    d->domain = 0;                                  /* let the hypervisor choose */
    memcpy(d->u.createdomain.handle, handle, 16);
    d->u.createdomain.flags = XEN_DOMCTL_CDF_hvm | XEN_DOMCTL_CDF_hap;
    d->u.createdomain.max_vcpus = 1;
    d->u.createdomain.max_evtchn_port = 1023;
    d->u.createdomain.max_grant_frames = -1;
    d->u.createdomain.max_maptrack_frames = -1;
    int64_t r = domctl(fd, d);
    uint16_t domid = d->domain;
    CHECK("createdomain", r == 0 && domid != 0 && domid < DOMID_FIRST_RESERVED, "ret %lld domid %u", (long long)r, domid);

    /* max_mem */
    memset(d, 0, sizeof *d);
    d->cmd = XEN_DOMCTL_max_mem;
    d->interface_version = FALLOW_DOMCTL_IV_4_12;
    d->domain = domid;
    d->u.max_mem.max_memkb = DOM_PAGES * 4;
    r = domctl(fd, d);
    CHECK("max_mem", r == 0, "ret %lld", (long long)r);

    /* getdomaininfo */
    memset(d, 0, sizeof *d);
    d->cmd = XEN_DOMCTL_getdomaininfo;
    d->interface_version = FALLOW_DOMCTL_IV_4_12;
    d->domain = domid;
    r = domctl(fd, d);
    struct xen_domctl_getdomaininfo *gi = &d->u.getdomaininfo;
    CHECK("getdomaininfo", r == 0 && gi->domain == domid && gi->tot_pages == 0 && gi->max_pages == DOM_PAGES
          && memcmp(gi->handle, handle, 16) == 0,
          "ret %lld domain %u tot_pages %llu max_pages %llu", (long long)r, gi->domain,
          (unsigned long long)gi->tot_pages, (unsigned long long)gi->max_pages);

    /* populate_physmap: RAM gfns 0..15, then PoD gfns 16..63 */
    xen_pfn_t *ext = arena_alloc(sizeof(xen_pfn_t) * (RAM_GFNS + POD_GFNS));
    for (unsigned i = 0; i < RAM_GFNS + POD_GFNS; i++) ext[i] = i;
    struct xen_memory_reservation *res = arena_alloc(sizeof *res);
    set_xen_guest_handle(res->extent_start, ext);
    res->nr_extents = RAM_GFNS;
    res->extent_order = 0;
    res->mem_flags = 0;
    res->domid = domid;
    r = hypercall(fd, __HYPERVISOR_memory_op, XENMEM_populate_physmap, H(res), 0, 0, 0);
    CHECK("populate_physmap", r == RAM_GFNS, "ret %lld, want %u extents", (long long)r, RAM_GFNS);

    set_xen_guest_handle(res->extent_start, ext + RAM_GFNS);
    res->nr_extents = POD_GFNS;
    res->mem_flags = XENMEMF_populate_on_demand;
    r = hypercall(fd, __HYPERVISOR_memory_op, XENMEM_populate_physmap, H(res), 0, 0, 0);
    CHECK("populate_physmap_pod", r == POD_GFNS, "ret %lld, want %u extents", (long long)r, POD_GFNS);

    /* a reservation op with a bad handle returns 0 extents (Xen 4.12 common/memory.c), not -EFAULT */
    r = hypercall(fd, __HYPERVISOR_memory_op, XENMEM_populate_physmap, 8, 0, 0, 0);
    CHECK("populate_physmap_bad_handle", r == 0, "ret %lld", (long long)r);

    domid_t *dp = arena_alloc(sizeof *dp);
    *dp = domid;
    r = hypercall(fd, __HYPERVISOR_memory_op, XENMEM_current_reservation, H(dp), 0, 0, 0);
    CHECK("current_reservation", r == RAM_GFNS, "ret %lld, want %u", (long long)r, RAM_GFNS);

    /* set_pod_target: the whole balloon target (RAM + PoD) -> cache = PoD entries */
    struct xen_pod_target *pt = arena_alloc(sizeof *pt);
    pt->target_pages = RAM_GFNS + POD_GFNS;
    pt->domid = domid;
    r = hypercall(fd, __HYPERVISOR_memory_op, XENMEM_set_pod_target, H(pt), 0, 0, 0);
    CHECK("set_pod_target", r == 0 && pt->tot_pages == RAM_GFNS + POD_GFNS && pt->pod_cache_pages == POD_GFNS
          && pt->pod_entries == POD_GFNS,
          "ret %lld tot %llu cache %llu entries %llu", (long long)r, (unsigned long long)pt->tot_pages,
          (unsigned long long)pt->pod_cache_pages, (unsigned long long)pt->pod_entries);

    memset(pt, 0, sizeof *pt);
    pt->domid = domid;
    r = hypercall(fd, __HYPERVISOR_memory_op, XENMEM_get_pod_target, H(pt), 0, 0, 0);
    CHECK("get_pod_target", r == 0 && pt->tot_pages == RAM_GFNS + POD_GFNS && pt->pod_cache_pages == POD_GFNS
          && pt->pod_entries == POD_GFNS,
          "ret %lld tot %llu cache %llu entries %llu", (long long)r, (unsigned long long)pt->tot_pages,
          (unsigned long long)pt->pod_cache_pages, (unsigned long long)pt->pod_entries);

    /* sysctl tmem LIST (4.12 struct defined above) */
    struct xen_sysctl *s = arena_alloc(sizeof *s);
    char *text = arena_alloc(4096);
    s->cmd = FALLOW_SYSCTL_tmem_op;
    s->interface_version = FALLOW_SYSCTL_IV_4_12;
    struct fallow_sysctl_tmem_op_4_12 *t = (void *)&s->u;
    t->cmd = FALLOW_SYSCTL_TMEM_OP_LIST;
    t->pool_id = 0;
    t->cli_id = FALLOW_TMEM_ALL_CLIENTS;
    t->len = 4096;
    t->arg = 0;
    t->buf = H(text);
    r = hypercall(fd, __HYPERVISOR_sysctl, H(s), 0, 0, 0, 0);
    CHECK("sysctl_tmem_list", r == 0 && strncmp(text, "G=", 2) == 0, "ret %lld text '%.40s'", (long long)r, text);

    /* sysctl with the 4.17 header's interface version: -EACCES */
    s->interface_version = XEN_SYSCTL_INTERFACE_VERSION;
    r = hypercall(fd, __HYPERVISOR_sysctl, H(s), 0, 0, 0, 0);
    CHECK("sysctl_wrong_interface_version", r == -13, "ret %lld", (long long)r);

    /* multicall of 2 entries: current and maximum reservation */
    multicall_entry_t *mc = arena_alloc(2 * sizeof *mc);
    mc[0].op = __HYPERVISOR_memory_op;
    mc[0].args[0] = XENMEM_current_reservation;
    mc[0].args[1] = H(dp);
    mc[0].result = 0xdeadbeef;
    mc[1].op = __HYPERVISOR_memory_op;
    mc[1].args[0] = XENMEM_maximum_reservation;
    mc[1].args[1] = H(dp);
    mc[1].result = 0xdeadbeef;
    r = hypercall(fd, __HYPERVISOR_multicall, H(mc), 2, 0, 0, 0);
    /* after set_pod_target, tot_pages counts the PoD cache too */
    CHECK("multicall", r == 0 && mc[0].result == RAM_GFNS + POD_GFNS && mc[1].result == DOM_PAGES,
          "ret %lld results %lld %lld", (long long)r, (long long)mc[0].result, (long long)mc[1].result);

    r = hypercall(fd, 99, 1, 2, 3, 4, 5);
    CHECK("unknown_hypercall_enosys", r == -XEN_ENOSYS, "ret %lld", (long long)r);

    r = hypercall(fd, __HYPERVISOR_domctl, H(arena) + ARENA_LEN - 8, 0, 0, 0, 0);   /* straddles the arena end */
    int64_t r0 = hypercall(fd, __HYPERVISOR_domctl, 0, 0, 0, 0, 0);
    CHECK("bad_handle_efault", r == -XEN_EFAULT && r0 == -XEN_EFAULT, "ret %lld / %lld", (long long)r, (long long)r0);

    tfd = fd;           /* kept open: the last part (growth, destruction) uses it again */
    return domid;
}

/* ======================================================================================================== */
/* guest part                                                                                               */
/* ======================================================================================================== */

static uint8_t *mem;       /* dom<D>.mem */
static uint32_t *p2m;      /* entries of dom<D>.p2m (after the 4096-byte header page) */
static uint64_t nr_frames;
static int gfd;            /* guest connection */

/* an entry's own type (stored - 1); an unset entry is populate_on_demand inside a PoD extent, else invalid */
static uint8_t p2m_type(uint64_t gfn) {
    uint8_t b = (uint8_t)(__atomic_load_n(&p2m[gfn], __ATOMIC_ACQUIRE) & 0xff);
    if (b != P2M_UNSET) return (uint8_t)(b - 1);
    uint8_t *hdr = (uint8_t *)p2m - P2M_HDR;
    uint32_t n = __atomic_load_n((uint32_t *)(hdr + P2M_NR_POD_EXTENTS), __ATOMIC_ACQUIRE);
    for (uint32_t i = 0; i < n && i < P2M_POD_EXTENTS_MAX; i++) {
        uint64_t *e = (uint64_t *)(hdr + P2M_POD_EXTENTS + 16 * i);
        if (gfn >= __atomic_load_n(&e[0], __ATOMIC_ACQUIRE) && gfn < __atomic_load_n(&e[1], __ATOMIC_ACQUIRE)) return P2M_POD;
    }
    return P2M_INVALID;
}

/* MEM_FAULT(gfn) and wait for its FAULT_DONE; returns the status */
static int64_t mem_fault(uint64_t gfn, uint32_t access) {
    uint8_t p[16];
    put64(p, gfn);
    put32(p + 8, access);
    put32(p + 12, 0);        /* vcpu 0 */
    uint64_t id = next_id++;
    send_frame(gfd, T_MEM_FAULT, id, p, sizeof p);
    struct frame f;
    for (;;) {
        if (read_frame(gfd, &f) != 1) return PROTO_TROUBLE;
        if (f.type == T_FAULT_DONE && f.request_id == id && f.length == 8) return (int64_t)get64(f.payload);
        printf("# skipped frame type %u id %llu while waiting for FAULT_DONE\n", f.type, (unsigned long long)f.request_id);
    }
}

/*
 * PROTOCOL §3.3: pin gfn with the in-flight count; fault it in if it is not ram_rw.
 * Returns 0 with the frame pinned (caller must unpin), or the negative FAULT_DONE status. *faults counts MEM_FAULTs.
 */
static int64_t pin(uint64_t gfn, uint32_t access, int *faults) {
    for (;;) {
        uint32_t old = __atomic_fetch_add(&p2m[gfn], INFLIGHT, __ATOMIC_ACQ_REL);
        if ((old & 0xff) == P2M_STORED(P2M_RAM_RW)) return 0;
        __atomic_fetch_sub(&p2m[gfn], INFLIGHT, __ATOMIC_ACQ_REL);
        if (faults) (*faults)++;
        int64_t st = mem_fault(gfn, access);
        if (st != 0) return st;
    }
}

static void unpin(uint64_t gfn) { __atomic_fetch_sub(&p2m[gfn], INFLIGHT, __ATOMIC_ACQ_REL); }

static int64_t guest_write(uint64_t gpa, const void *src, size_t n, int *faults) {
    const uint8_t *s = src;
    while (n > 0) {
        uint64_t gfn = gpa / PAGE;
        size_t chunk = PAGE - gpa % PAGE;
        if (chunk > n) chunk = n;
        int64_t st = pin(gfn, 2, faults);
        if (st != 0) return st;
        memcpy(mem + gpa, s, chunk);
        unpin(gfn);
        gpa += chunk; s += chunk; n -= chunk;
    }
    return 0;
}

static int64_t guest_read(uint64_t gpa, void *dst, size_t n) {
    uint8_t *d = dst;
    while (n > 0) {
        uint64_t gfn = gpa / PAGE;
        size_t chunk = PAGE - gpa % PAGE;
        if (chunk > n) chunk = n;
        int64_t st = pin(gfn, 1, NULL);
        if (st != 0) return st;
        memcpy(d, mem + gpa, chunk);
        unpin(gfn);
        gpa += chunk; d += chunk; n -= chunk;
    }
    return 0;
}

static void *map_file(const char *dir, uint16_t domid, const char *ext, size_t *len) {
    char path[4200];
    snprintf(path, sizeof path, "%s/dom%u.%s", dir, domid, ext);
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0) { printf("# %s\n", path); die("open guest file"); }
    struct stat st;
    if (fstat(fd, &st) < 0) die("fstat");
    *len = (size_t)st.st_size;
    void *p = mmap(NULL, *len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) die("mmap guest file");
    close(fd);
    return p;
}

/* guest-physical addresses used below */
#define GPA_OP   (1u * PAGE)          /* tmem_op structs live in gfn 1 (RAM) */
#define SRC_GFN  20u                  /* a PoD gfn: faulted in, then filled with a pattern */
#define DST_GFN  2u                   /* RAM gfn receiving GET_PAGE */
#define POD_PUT_GFN 40u               /* a PoD gfn only the hypervisor touches (tmem PUT source) */
#define BAD_GFN  (RAM_GFNS + POD_GFNS + 100)   /* never populated */

static int64_t tmem(uint64_t gpa) { return hypercall(gfd, __HYPERVISOR_tmem_op, gpa, 0, 0, 0, 0); }

static void guest(const char *sock, uint16_t domid, const uint8_t handle[16], const char *run_dir) {
    gfd = connect_to(sock);
    uint64_t hello_id = next_id;
    send_hello(gfd, 2, domid, handle, 0, 0, NULL);
    struct ack a;
    if (!read_ack(gfd, hello_id, "guest", domid, &a)) exit(1);
    CHECK("guest_run_dir", strcmp(a.run_dir, run_dir) == 0, "'%s' vs toolstack's '%s'", a.run_dir, run_dir);
    nr_frames = a.nr_frames;

    size_t mem_len, p2m_len;
    mem = map_file(a.run_dir, domid, "mem", &mem_len);
    uint8_t *p2m_file = map_file(a.run_dir, domid, "p2m", &p2m_len);
    p2m = (uint32_t *)(p2m_file + P2M_HDR);
    CHECK("p2m_header", get32(p2m_file) == 0x4D325046u && get32(p2m_file + 4) == 2
          && get64(p2m_file + 8) == nr_frames && p2m_len >= P2M_HDR + 4 * nr_frames && mem_len >= nr_frames * PAGE,
          "magic 0x%08x version %u nr_frames %llu (ack %llu) p2m %zu mem %zu", get32(p2m_file), get32(p2m_file + 4),
          (unsigned long long)get64(p2m_file + 8), (unsigned long long)nr_frames, p2m_len, mem_len);
    CHECK("p2m_types", nr_frames > BAD_GFN && p2m_type(0) == P2M_RAM_RW && p2m_type(RAM_GFNS - 1) == P2M_RAM_RW
          && p2m_type(SRC_GFN) == P2M_POD && p2m_type(BAD_GFN) == P2M_INVALID,
          "nr_frames %llu types %u %u %u %u", (unsigned long long)nr_frames, p2m_type(0), p2m_type(RAM_GFNS - 1),
          p2m_type(SRC_GFN), nr_frames > BAD_GFN ? p2m_type(BAD_GFN) : 255);

    /* a page pattern into the PoD gfn: the first access faults it in */
    static uint8_t pattern[PAGE], back[PAGE];
    for (unsigned i = 0; i < PAGE; i++) pattern[i] = (uint8_t)(i * 7 + 13);
    int faults = 0;
    int64_t st = guest_write((uint64_t)SRC_GFN * PAGE, pattern, PAGE, &faults);
    CHECK("pod_fault_populates", st == 0 && faults == 1 && p2m_type(SRC_GFN) == P2M_RAM_RW
          && memcmp(mem + (size_t)SRC_GFN * PAGE, pattern, PAGE) == 0,
          "status %lld faults %d type %u", (long long)st, faults, p2m_type(SRC_GFN));
    CHECK("inflight_count_zero", (__atomic_load_n(&p2m[SRC_GFN], __ATOMIC_ACQUIRE) >> 16) == 0,
          "word 0x%08x", __atomic_load_n(&p2m[SRC_GFN], __ATOMIC_ACQUIRE));

    /* a guest may not issue control ops */
    struct xen_domctl dc;
    memset(&dc, 0, sizeof dc);
    dc.cmd = XEN_DOMCTL_getdomaininfo;
    dc.interface_version = FALLOW_DOMCTL_IV_4_12;
    dc.domain = domid;
    guest_write(GPA_OP + 2048, &dc, sizeof dc, NULL);
    int64_t r = hypercall(gfd, __HYPERVISOR_domctl, GPA_OP + 2048, 0, 0, 0, 0);
    CHECK("guest_domctl_eperm", r == -XEN_EPERM, "ret %lld", (long long)r);

    /* tmem: persistent private pool, put from SRC_GFN, get into DST_GFN */
    struct tmem_op op;
    memset(&op, 0, sizeof op);
    op.cmd = TMEM_NEW_POOL;
    op.pool_id = 0;
    op.u.creat.flags = TMEM_POOL_PERSIST | (TMEM_SPEC_VERSION << TMEM_POOL_VERSION_SHIFT);
    guest_write(GPA_OP, &op, sizeof op, NULL);
    r = tmem(GPA_OP);
    int32_t pool = (int32_t)r;
    CHECK("tmem_new_pool", r >= 0 && r < 16, "ret %lld", (long long)r);

    memset(&op, 0, sizeof op);
    op.cmd = TMEM_PUT_PAGE;
    op.pool_id = pool;
    op.u.gen.oid.oid[0] = 1; op.u.gen.oid.oid[1] = 2; op.u.gen.oid.oid[2] = 3;
    op.u.gen.index = 7;
    op.u.gen.cmfn = SRC_GFN;
    guest_write(GPA_OP, &op, sizeof op, NULL);
    r = tmem(GPA_OP);
    CHECK("tmem_put_page", r == 1, "ret %lld", (long long)r);

    op.cmd = TMEM_GET_PAGE;
    op.u.gen.cmfn = DST_GFN;
    guest_write(GPA_OP, &op, sizeof op, NULL);
    memset(back, 0xAA, sizeof back);
    guest_write((uint64_t)DST_GFN * PAGE, back, PAGE, NULL);
    r = tmem(GPA_OP);
    guest_read((uint64_t)DST_GFN * PAGE, back, PAGE);
    CHECK("tmem_get_page", r == 1 && memcmp(back, pattern, PAGE) == 0, "ret %lld, bytes %s", (long long)r,
          memcmp(back, pattern, PAGE) == 0 ? "equal" : "differ");

    /* cmfn naming a PoD gfn nobody touched: the hypervisor's access populates it (zero page), as copy_from_guest */
    uint8_t pod_type_before = p2m_type(POD_PUT_GFN);
    op.cmd = TMEM_PUT_PAGE;
    op.u.gen.index = 9;
    op.u.gen.cmfn = POD_PUT_GFN;
    guest_write(GPA_OP, &op, sizeof op, NULL);
    r = tmem(GPA_OP);
    CHECK("tmem_put_from_pod_gfn", pod_type_before == P2M_POD && r == 1 && p2m_type(POD_PUT_GFN) == P2M_RAM_RW,
          "type before %u, ret %lld, type after %u", pod_type_before, (long long)r, p2m_type(POD_PUT_GFN));
    op.u.gen.index = 7;
    op.u.gen.cmfn = DST_GFN;
    op.cmd = TMEM_GET_PAGE;

    /* pipelining: three requests in one write; replies in order with echoed request_ids */
    struct tmem_op get_op = op;                /* GET again (persistent: non-destructive) -> 1 */
    struct tmem_op miss_op = op;               /* GET of a missing index -> 0 */
    miss_op.u.gen.index = 8;
    guest_write(GPA_OP + 256, &get_op, sizeof get_op, NULL);
    guest_write(GPA_OP + 512, &miss_op, sizeof miss_op, NULL);
    uint64_t ops[3][6] = {
        {__HYPERVISOR_tmem_op, GPA_OP + 256, 0, 0, 0, 0},
        {77, 0, 0, 0, 0, 0},                    /* unknown -> -ENOSYS */
        {__HYPERVISOR_tmem_op, GPA_OP + 512, 0, 0, 0, 0},
    };
    int64_t want[3] = {1, -XEN_ENOSYS, 0};
    uint8_t batch[3 * (HDR + 48)];
    uint64_t ids[3];
    for (int i = 0; i < 3; i++) {
        ids[i] = next_id++;
        uint8_t *fr = batch + i * (HDR + 48);
        encode_header(fr, T_HYPERCALL, ids[i], 48);
        for (int k = 0; k < 6; k++) put64(fr + HDR + 8 * k, ops[i][k]);
    }
    write_all(gfd, batch, sizeof batch);
    int pipeline_ok = 1;
    char why[256] = "";
    for (int i = 0; i < 3 && pipeline_ok; i++) {
        struct frame f;
        if (read_reply(gfd, &f) != 1) { pipeline_ok = 0; snprintf(why, sizeof why, "no reply %d", i); break; }
        int64_t v = f.length == 8 ? (int64_t)get64(f.payload) : PROTO_TROUBLE;
        if (f.type != T_HYPERCALL_RET || f.request_id != ids[i] || v != want[i]) {
            pipeline_ok = 0;
            snprintf(why, sizeof why, "reply %d: type %u id %llu (want %llu) value %lld (want %lld)", i, f.type,
                     (unsigned long long)f.request_id, (unsigned long long)ids[i], (long long)v, (long long)want[i]);
        }
    }
    CHECK("pipelined_in_order", pipeline_ok, "%s", why);

    /* a non-present, non-PoD gfn: the MEM_FAULT fails (last: an HVM access to a hole may crash the domain) */
    int bad_faults = 0;
    st = guest_write((uint64_t)BAD_GFN * PAGE, pattern, 16, &bad_faults);
    CHECK("mem_fault_invalid_gfn", st < 0 && st != PROTO_TROUBLE && bad_faults == 1,
          "status %lld faults %d", (long long)st, bad_faults);

}

static uint64_t file_size(const char *dir, uint16_t domid, const char *ext) {
    char path[4200];
    struct stat st;
    snprintf(path, sizeof path, "%s/dom%u.%s", dir, domid, ext);
    return stat(path, &st) == 0 ? (uint64_t)st.st_size : UINT64_MAX;
}

/* max_mem grows the files; destroydomain tells the guest and removes them (PROTOCOL §3.2, §5) */
static void growth_and_destruction(uint16_t domid, const uint8_t handle[16], const char *sock, const char *run_dir) {
    uint8_t *hdr = (uint8_t *)p2m - P2M_HDR;
    struct xen_domctl *d = tdomctl(XEN_DOMCTL_max_mem, domid);
    d->u.max_mem.max_memkb = 2 * DOM_PAGES * 4;
    int64_t r = domctl(tfd, d);
    uint64_t grown = __atomic_load_n((uint64_t *)(hdr + 8), __ATOMIC_ACQUIRE);
    uint64_t p2m_size = file_size(run_dir, domid, "p2m"), mem_size = file_size(run_dir, domid, "mem");
    int new_entry_ok = 0;
    if (grown == 2 * DOM_PAGES && p2m_size == P2M_HDR + 4 * grown) {
        size_t len;
        uint8_t *again = map_file(run_dir, domid, "p2m", &len);
        /* a new entry is a hole of the file: unset (invalid) */
        new_entry_ok = get32(again + P2M_HDR + 4 * (grown - 1)) == P2M_UNSET
                && get32(again + P2M_HDR) == P2M_STORED(P2M_RAM_RW);
        munmap(again, len);
    }
    CHECK("max_mem_grows_files", r == 0 && grown == 2 * DOM_PAGES && mem_size == grown * PAGE && new_entry_ok,
          "ret %lld header nr_frames %llu p2m %llu mem %llu new entry ok %d", (long long)r, (unsigned long long)grown,
          (unsigned long long)p2m_size, (unsigned long long)mem_size, new_entry_ok);

    /* a guest HELLO with the wrong secret: ACK -EACCES, then the connection is closed */
    uint8_t wrong[16];
    memcpy(wrong, handle, 16);
    wrong[0] ^= 1;
    int bad = connect_to(sock);
    send_hello(bad, 2, domid, wrong, 0, 0, NULL);
    struct frame f;
    int rr = read_frame(bad, &f);
    int64_t st = rr == 1 && f.type == T_HELLO_ACK && f.length >= 32 ? (int64_t)get64(f.payload) : PROTO_TROUBLE;
    uint8_t extra;
    int eof = read_exact(bad, &extra, 1, 20000) == 0;
    CHECK("guest_wrong_secret_eacces", st == -13 && eof, "status %lld closed %d", (long long)st, eof);
    close(bad);

    d = tdomctl(XEN_DOMCTL_destroydomain, domid);
    r = domctl(tfd, d);
    int gone = file_size(run_dir, domid, "mem") == UINT64_MAX && file_size(run_dir, domid, "p2m") == UINT64_MAX;
    uint32_t state = __atomic_load_n((uint32_t *)(hdr + 16), __ATOMIC_ACQUIRE);
    CHECK("destroydomain", r == 0 && gone && state == 3, "ret %lld files gone %d header state %u", (long long)r, gone, state);

    /* the guest connection receives DOMAIN_EVENT destroyed (request_id 0) */
    rr = read_frame(gfd, &f);
    CHECK("domain_event_destroyed", rr == 1 && f.type == T_DOMAIN_EVENT && f.request_id == 0 && f.length >= 8
          && get32(f.payload) == 2 && f.length == 8 + get32(f.payload + 4),
          "read %d type %u id %llu len %u event %u", rr, rr == 1 ? f.type : 0,
          rr == 1 ? (unsigned long long)f.request_id : 0ull, rr == 1 ? f.length : 0,
          rr == 1 && f.length >= 4 ? get32(f.payload) : 0);
    st = mem_fault(0, 1);
    CHECK("mem_fault_after_destroy_esrch", st == -3, "status %lld", (long long)st);

    d = tdomctl(XEN_DOMCTL_getdomaininfo, domid);
    r = domctl(tfd, d);
    CHECK("getdomaininfo_after_destroy", r == -3 || (r == 0 && d->domain != domid), "ret %lld domain %u",
          (long long)r, d->domain);

    send_frame(gfd, T_BYE, next_id++, NULL, 0);
    close(gfd);
    send_frame(tfd, T_BYE, next_id++, NULL, 0);
    close(tfd);
}

/* a malformed frame on a throwaway connection: wrong magic -> ERROR -EBADMSG, then the connection is closed */
static void bad_magic(const char *sock) {
    int fd = connect_to(sock);
    uint8_t h[HDR];
    encode_header(h, T_HELLO, 5, 0);
    memcpy(h, "XXXX", 4);
    write_all(fd, h, sizeof h);
    struct frame f;
    int r = read_frame(fd, &f);
    int32_t err = r == 1 && f.length >= 8 ? (int32_t)get32(f.payload) : 0;
    uint32_t text_len = r == 1 && f.length >= 8 ? get32(f.payload + 4) : 0;
    uint8_t extra;
    int eof = read_exact(fd, &extra, 1, 20000) == 0;
    CHECK("bad_magic_ebadmsg", r == 1 && f.type == T_ERROR && err == -XEN_EBADMSG && f.length == 8 + text_len && eof,
          "read %d type %u errno %d len %u text_len %u closed %d", r, r == 1 ? f.type : 0, err, r == 1 ? f.length : 0,
          text_len, eof);
    close(fd);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s <hypervisor socket>\n", argv[0]);
        return 2;
    }
    uint8_t handle[16];
    for (int i = 0; i < 16; i++) handle[i] = (uint8_t)((0xC0 + i) ^ (getpid() >> (i % 4 * 8)));
    char run_dir[4096];
    uint16_t domid = toolstack(argv[1], handle, run_dir, sizeof run_dir);
    guest(argv[1], domid, handle, run_dir);
    growth_and_destruction(domid, handle, argv[1], run_dir);
    bad_magic(argv[1]);
    printf("%s: %d failure(s)\n", failures ? "FAILED" : "PASSED", failures);
    return failures ? 1 : 0;
}
