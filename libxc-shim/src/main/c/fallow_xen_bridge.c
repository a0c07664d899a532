/*
 * fallow_xen_bridge.c - LD_PRELOAD bridge that runs Debian's unmodified Xen 4.17 tools (xl, xenpaging, ...) on Fallow.
 *
 * Real libxencall / libxenforeignmemory / libxenevtchn talk to Linux's privcmd, privcmd-buf and evtchn devices.
 * This library intercepts the libc calls those libraries make on the device paths and turns them into Fallow frames
 * over the hypervisor socket (docs/PROTOCOL.md is the spec; §8 describes this bridge):
 *
 *   /dev/xen/privcmd, /proc/xen/privcmd   IOCTL_PRIVCMD_HYPERCALL -> HYPERCALL frame (arguments unchanged: handles
 *                                          point into the toolstack arena, which is where the tools' hypercall
 *                                          buffers live);
 *                                          IOCTL_PRIVCMD_MMAPBATCH(_V2) -> XENMEM_add_to_physmap_batch
 *                                          (XENMAPSPACE_gmfn_foreign) for the per-gfn verdict (a paged-out gfn gives
 *                                          ENOENT and starts a page-in, as Xen), then the good gfns are mapped from
 *                                          <run_dir>/dom<D>.mem; mmap() of the device reserves address space;
 *                                          RESTRICT accepted; MMAP_RESOURCE, DM_OP, MMAP, unknown ioctls: ENOTTY /
 *                                          EOPNOTSUPP / ENOSYS as a kernel+Xen without the feature answer.
 *   /dev/xen/hypercall                     mmap() = a hypercall buffer carved from the toolstack arena.
 *   /dev/xen/evtchn                        BIND_INTERDOMAIN (local port = the remote port), NOTIFY -> EVTCHN_SEND,
 *                                          UNBIND, RESET; read() of pending ports (a pipe the socket reader fills),
 *                                          write() unmasks.
 *   /var/lib/xen, /var/run/xen, /run/xen   redirected to <FALLOW_RUN_DIR>/xen-state/{lib,run} (libxl userdata, locks).
 *
 * Environment: FALLOW_SOCKET (hypervisor socket, required), FALLOW_RUN_DIR (run directory, required),
 * FALLOW_BRIDGE_STRICT_RESPONSES=1 (do not ask for the vm_event response-version compatibility, PROTOCOL §2.1),
 * FALLOW_BRIDGE_TRACE=1 (log every intercepted call), FALLOW_XEN_ETC (a directory used for /etc/xen, e.g. the
 * packages' own etc/xen with xl.conf). The log is <FALLOW_RUN_DIR>/xen-bridge.log (0600); each call the
 * bridge cannot serve is logged once with its name.
 *
 * Fork safety: the connection belongs to the process that opened it; a child (libxl forks for destroy) notices the
 * pid change and opens its own connection on first use, announcing the same arena file (mapped MAP_SHARED, so the
 * child's buffers are the parent's). The arena allocator's bitmap lives in the arena itself under a lock word, so
 * parent and child allocate without overlap.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* ---- Linux uapi: xen/privcmd.h and xen/evtchn.h (x86_64), declared here: privcmd.h needs kernel-only headers ---- */
struct privcmd_hypercall { uint64_t op; uint64_t arg[5]; };
struct privcmd_mmapbatch { int num; uint16_t dom; uint64_t addr; uint64_t *arr; };
struct privcmd_mmapbatch_v2 { unsigned int num; uint16_t dom; uint64_t addr; const uint64_t *arr; int *err; };
_Static_assert(sizeof(struct privcmd_hypercall) == 48, "privcmd_hypercall");
_Static_assert(sizeof(struct privcmd_mmapbatch_v2) == 32, "privcmd_mmapbatch_v2");
_Static_assert(offsetof(struct privcmd_mmapbatch_v2, err) == 24, "privcmd_mmapbatch_v2.err");
#define PRIVCMD_MMAPBATCH_MFN_ERROR 0xf0000000U
#define PRIVCMD_MMAPBATCH_PAGED_ERROR 0x80000000U
#define P_IOC(nr, size) _IOC(_IOC_NONE, 'P', (nr), (size))
#define IOCTL_PRIVCMD_HYPERCALL P_IOC(0, sizeof(struct privcmd_hypercall))
#define IOCTL_PRIVCMD_MMAP P_IOC(2, 16)
#define IOCTL_PRIVCMD_MMAPBATCH P_IOC(3, sizeof(struct privcmd_mmapbatch))
#define IOCTL_PRIVCMD_MMAPBATCH_V2 P_IOC(4, sizeof(struct privcmd_mmapbatch_v2))
#define IOCTL_PRIVCMD_DM_OP P_IOC(5, 16)
#define IOCTL_PRIVCMD_RESTRICT P_IOC(6, 2)
#define IOCTL_PRIVCMD_MMAP_RESOURCE P_IOC(7, 32)
#define IOCTL_PRIVCMD_UNIMPLEMENTED P_IOC(0xff, 0)
#define E_IOC(nr, size) _IOC(_IOC_NONE, 'E', (nr), (size))
#define IOCTL_EVTCHN_BIND_VIRQ E_IOC(0, 4)
#define IOCTL_EVTCHN_BIND_INTERDOMAIN E_IOC(1, 8)
#define IOCTL_EVTCHN_BIND_UNBOUND_PORT E_IOC(2, 4)
#define IOCTL_EVTCHN_UNBIND E_IOC(3, 4)
#define IOCTL_EVTCHN_NOTIFY E_IOC(4, 4)
#define IOCTL_EVTCHN_RESET E_IOC(5, 0)
#define IOCTL_EVTCHN_RESTRICT_DOMID E_IOC(6, 2)

/* ---- Fallow wire protocol (docs/PROTOCOL.md §1, §2) ---- */
enum { T_HELLO = 1, T_HELLO_ACK = 2, T_HYPERCALL = 3, T_HYPERCALL_RET = 4, T_EVTCHN_SEND = 5, T_ERROR = 8,
       T_XENSTORE = 9, T_DOMAIN_EVENT = 10, T_BYE = 11 };
#define FRAME_MAGIC 0x574C4146u
#define HDR 24
#define MAX_PAYLOAD 8192
#define ROLE_TOOLSTACK 1
#define PROFILE_XEN_4_17 3
#define HELLO_FLAG_VM_EVENT_RESPONSE_COMPAT 1
#define PAGE 4096UL

/* Xen: memory_op 23 with XENMAPSPACE_gmfn_foreign (memory.h), 32 bytes */
#define HYPERVISOR_memory_op 12
#define XENMEM_add_to_physmap_batch 23
#define XENMAPSPACE_gmfn_foreign 4
#define DOMID_SELF 0x7FF0
struct xen_add_to_physmap_batch { uint16_t domid, space, size, foreign_domid; uint64_t idxs, gpfns, errs; };
_Static_assert(sizeof(struct xen_add_to_physmap_batch) == 32, "xen_add_to_physmap_batch");

/* ---- bounds ---- */
#define ARENA_BYTES (32UL << 20)          /* hypercall buffers of one tool (and its children) */
#define ARENA_PAGES (ARENA_BYTES / PAGE)
#define ARENA_META_PAGES 1                 /* page 0: lock word + allocation bitmap */
#define MAX_FDS 64                         /* device fds tracked per process */
#define MAX_PORTS 256                      /* event-channel bindings per process */
#define BATCH_CHUNK 512                    /* gfns per add_to_physmap_batch call */
#define MAX_DOMS 64                        /* cached dom<D>.mem descriptors */
#define MAX_ONCE 128                       /* distinct "unserved" log lines */
#define MAX_MAPPED 4096                    /* foreign pages remembered (address -> dom, gfn) for the journal */
#define MAX_JOURNALS 8                     /* page files journalled at once */
#define JOURNAL_GFNS (1UL << 22)           /* gfns a journal covers (16 GiB guests) */
#define JOURNAL_HDR 64
#define JOURNAL_MAGIC 0x4A505846u          /* "FXPJ" */

enum fdkind { FD_NONE, FD_PRIVCMD, FD_HYPERCALL, FD_EVTCHN };
struct devfd { int fd; enum fdkind kind; int wr; /* evtchn: the pipe's write end */ };
struct port { int used; int fd; uint32_t port; int delivered; int pending; };

struct mapped { uintptr_t addr; uint16_t dom; uint64_t gfn; };
/* A page file's journal <pagefile>.fallow-slots: header, then u64 slot+1 per gfn (0 = none). MAP_SHARED, so what a
 * killed pager wrote survives it. */
struct journal { int fd; dev_t dev; ino_t ino; char path[PATH_MAX]; uint8_t *map; };

struct arena_meta { volatile int lock; int pad; uint64_t bitmap[ARENA_PAGES / 64]; };
_Static_assert(sizeof(struct arena_meta) <= PAGE * ARENA_META_PAGES, "arena meta fits");

static struct {
    pthread_mutex_t mu;         /* guards everything below except the call slot */
    int initialised;
    char socket_path[108];
    char run_dir[PATH_MAX];      /* ours (FALLOW_RUN_DIR) */
    char hv_run_dir[PATH_MAX];   /* the hypervisor's (HELLO_ACK) */
    int log_fd;
    int trace;
    int strict;
    /* connection */
    int sock;
    pid_t sock_pid;
    pthread_t reader;
    uint64_t next_id;
    /* one synchronous call at a time */
    pthread_mutex_t call_mu;
    pthread_cond_t call_cv;
    uint64_t want_id;
    int have_reply;
    int64_t reply;
    /* arena */
    char arena_path[PATH_MAX];
    uint8_t *arena;
    pid_t arena_owner;
    /* devices */
    struct devfd fds[MAX_FDS];
    struct port ports[MAX_PORTS];
    int doms_fd[MAX_DOMS];
    int doms_id[MAX_DOMS];
    char once[MAX_ONCE][48];
    int nonce;
    struct mapped mapped[MAX_MAPPED];
    int nmapped;
    struct journal journals[MAX_JOURNALS];
} B = { .mu = PTHREAD_MUTEX_INITIALIZER, .call_mu = PTHREAD_MUTEX_INITIALIZER, .call_cv = PTHREAD_COND_INITIALIZER,
        .log_fd = -1, .sock = -1 };

/* ---- the real libc functions ---- */
#define REAL(name) static __typeof__(name) *real_##name
REAL(open); REAL(open64); REAL(openat); REAL(openat64); REAL(close); REAL(ioctl); REAL(mmap); REAL(mmap64);
REAL(munmap); REAL(write); REAL(fopen); REAL(fopen64); REAL(stat); REAL(lstat); REAL(stat64); REAL(lstat64);
REAL(access); REAL(mkdir); REAL(unlink); REAL(rename); REAL(opendir); REAL(rmdir); REAL(fstatat); REAL(fstatat64);
REAL(chmod); REAL(link); REAL(truncate); REAL(glob); REAL(pwrite); REAL(pwrite64);
static int (*real___open_2)(const char *, int);
static int (*real___open64_2)(const char *, int);

static void resolve(void) {
#define R(name) real_##name = dlsym(RTLD_NEXT, #name)
    R(open); R(open64); R(openat); R(openat64); R(close); R(ioctl); R(mmap); R(mmap64); R(munmap); R(write);
    R(fopen); R(fopen64); R(stat); R(lstat); R(stat64); R(lstat64); R(access); R(mkdir); R(unlink); R(rename);
    R(opendir); R(rmdir); R(fstatat); R(fstatat64); R(chmod); R(link); R(truncate); R(glob); R(pwrite); R(pwrite64);
#undef R
    real___open_2 = dlsym(RTLD_NEXT, "__open_2");
    real___open64_2 = dlsym(RTLD_NEXT, "__open64_2");
}

/* ---- logging (bounded: one line per message, unserved calls once each) ---- */
static void logf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logf_(const char *fmt, ...) {
    if (B.log_fd < 0) return;
    char line[512];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int n = snprintf(line, sizeof line, "%lld.%03ld pid %d: ", (long long)ts.tv_sec, ts.tv_nsec / 1000000, getpid());
    va_list ap;
    va_start(ap, fmt);
    n += vsnprintf(line + n, sizeof line - n - 1, fmt, ap);
    va_end(ap);
    if (n > (int)sizeof line - 2) n = sizeof line - 2;
    line[n++] = '\n';
    ssize_t w = real_write(B.log_fd, line, n);
    (void)w;
}

/* Logs "unserved: <what>" the first time <what> is seen. Caller holds no lock. */
static void unserved(const char *what, int err) {
    pthread_mutex_lock(&B.mu);
    int seen = 0;
    for (int i = 0; i < B.nonce; i++) if (strcmp(B.once[i], what) == 0) { seen = 1; break; }
    if (!seen && B.nonce < MAX_ONCE) snprintf(B.once[B.nonce++], sizeof B.once[0], "%s", what);
    pthread_mutex_unlock(&B.mu);
    if (!seen) logf_("unserved: %s -> %s (logged once)", what, strerror(err));
}

/* ---- initialisation ---- */
static void child_after_fork(void);

static int open_log(void) {
    char p[PATH_MAX];
    if (snprintf(p, sizeof p, "%s/xen-bridge.log", B.run_dir) >= (int)sizeof p) return -1;
    return real_open(p, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
}

static void init_once(void) {
    if (B.initialised) return;
    pthread_mutex_lock(&B.mu);
    if (!B.initialised) {
        resolve();
        const char *s = getenv("FALLOW_SOCKET"), *r = getenv("FALLOW_RUN_DIR");
        if (s && strlen(s) < sizeof B.socket_path) strcpy(B.socket_path, s);
        if (r && strlen(r) < sizeof B.run_dir) strcpy(B.run_dir, r);
        B.trace = getenv("FALLOW_BRIDGE_TRACE") && *getenv("FALLOW_BRIDGE_TRACE") == '1';
        B.strict = getenv("FALLOW_BRIDGE_STRICT_RESPONSES") && *getenv("FALLOW_BRIDGE_STRICT_RESPONSES") == '1';
        for (int i = 0; i < MAX_FDS; i++) B.fds[i].fd = -1;
        for (int i = 0; i < MAX_DOMS; i++) B.doms_fd[i] = -1;
        if (B.run_dir[0]) B.log_fd = open_log();
        pthread_atfork(NULL, NULL, child_after_fork);
        B.initialised = 1;
    }
    pthread_mutex_unlock(&B.mu);
}

__attribute__((constructor)) static void bridge_ctor(void) { init_once(); }

/* ---- little-endian helpers ---- */
static void put16(uint8_t *p, uint16_t v) { p[0] = v; p[1] = v >> 8; }
static void put32(uint8_t *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = v >> (8 * i); }
static void put64(uint8_t *p, uint64_t v) { for (int i = 0; i < 8; i++) p[i] = v >> (8 * i); }
static uint32_t get32(const uint8_t *p) { uint32_t v = 0; for (int i = 3; i >= 0; i--) v = v << 8 | p[i]; return v; }
static uint64_t get64(const uint8_t *p) { uint64_t v = 0; for (int i = 7; i >= 0; i--) v = v << 8 | p[i]; return v; }

static int write_all(int fd, const void *buf, size_t n) {
    const uint8_t *p = buf;
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        p += w; n -= w;
    }
    return 0;
}

static int read_all(int fd, void *buf, size_t n) {
    uint8_t *p = buf;
    while (n > 0) {
        ssize_t r = recv(fd, p, n, 0);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return -1;
        p += r; n -= r;
    }
    return 0;
}

static int send_frame(int fd, uint8_t type, uint64_t id, const void *payload, uint32_t len) {
    uint8_t h[HDR] = {0};
    put32(h, FRAME_MAGIC); h[4] = 1; h[5] = type; put64(h + 8, id); put32(h + 16, len);
    if (write_all(fd, h, HDR) < 0) return -1;
    return len ? write_all(fd, payload, len) : 0;
}

/* reads one frame; payload must hold MAX_PAYLOAD bytes */
static int recv_frame(int fd, uint8_t *type, uint64_t *id, uint8_t *payload, uint32_t *len) {
    uint8_t h[HDR];
    if (read_all(fd, h, HDR) < 0) return -1;
    if (get32(h) != FRAME_MAGIC) { errno = EPROTO; return -1; }
    *type = h[5]; *id = get64(h + 8); *len = get32(h + 16);
    if (*len > MAX_PAYLOAD) { errno = EMSGSIZE; return -1; }
    return read_all(fd, payload, *len);
}

/* ---- the arena: hypercall buffers shared with the hypervisor ---- */
static int arena_create(void) {
    if (B.arena) return 0;
    if (!B.run_dir[0]) { errno = ENOENT; return -1; }
    snprintf(B.arena_path, sizeof B.arena_path, "%s/xen-bridge-%d.arena", B.run_dir, getpid());
    int fd = real_open(B.arena_path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 && errno == EEXIST) { /* a stale file of a dead process with our pid */
        unlink(B.arena_path);
        fd = real_open(B.arena_path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    }
    if (fd < 0) { logf_("cannot create arena %s: %s", B.arena_path, strerror(errno)); return -1; }
    if (ftruncate(fd, ARENA_BYTES) < 0) { int e = errno; real_close(fd); errno = e; return -1; }
    void *a = real_mmap(NULL, ARENA_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    real_close(fd);
    if (a == MAP_FAILED) return -1;
    B.arena = a;
    B.arena_owner = getpid();
    return 0;
}

static void arena_lock(struct arena_meta *m) {
    for (unsigned spins = 0; __atomic_exchange_n(&m->lock, 1, __ATOMIC_ACQUIRE); spins++)
        if (spins > 64) sched_yield();
}
static void arena_unlock(struct arena_meta *m) { __atomic_store_n(&m->lock, 0, __ATOMIC_RELEASE); }
static int bit(struct arena_meta *m, size_t i) { return (m->bitmap[i / 64] >> (i % 64)) & 1; }
static void setbit(struct arena_meta *m, size_t i, int v) {
    if (v) m->bitmap[i / 64] |= 1ULL << (i % 64); else m->bitmap[i / 64] &= ~(1ULL << (i % 64));
}

/* first fit over the bitmap; NULL + ENOMEM when no run of npages is free */
static void *arena_alloc(size_t bytes) {
    if (arena_create() < 0) return NULL;
    size_t n = (bytes + PAGE - 1) / PAGE;
    struct arena_meta *m = (struct arena_meta *)B.arena;
    void *res = NULL;
    arena_lock(m);
    size_t run = 0;
    for (size_t i = ARENA_META_PAGES; i < ARENA_PAGES && n > 0; i++) {
        run = bit(m, i) ? 0 : run + 1;
        if (run == n) {
            size_t first = i + 1 - n;
            for (size_t j = first; j <= i; j++) setbit(m, j, 1);
            res = B.arena + first * PAGE;
            break;
        }
    }
    arena_unlock(m);
    if (!res) { errno = ENOMEM; return NULL; }
    memset(res, 0, n * PAGE);
    return res;
}

static int in_arena(const void *p) {
    return B.arena && (const uint8_t *)p >= B.arena + ARENA_META_PAGES * PAGE && (const uint8_t *)p < B.arena + ARENA_BYTES;
}

static void arena_free(void *p, size_t bytes) {
    struct arena_meta *m = (struct arena_meta *)B.arena;
    size_t first = ((uint8_t *)p - B.arena) / PAGE, n = (bytes + PAGE - 1) / PAGE;
    arena_lock(m);
    for (size_t j = first; j < first + n && j < ARENA_PAGES; j++) setbit(m, j, 0);
    arena_unlock(m);
}

__attribute__((destructor)) static void bridge_dtor(void) {
    if (B.arena && B.arena_owner == getpid() && B.arena_path[0]) unlink(B.arena_path);
}

/* ---- event channels: pending ports go into the evtchn fd's pipe ---- */
static struct port *port_find(uint32_t port) {
    for (int i = 0; i < MAX_PORTS; i++) if (B.ports[i].used && B.ports[i].port == port) return &B.ports[i];
    return NULL;
}
static int evtchn_wr(int fd) {
    for (int i = 0; i < MAX_FDS; i++) if (B.fds[i].fd == fd && B.fds[i].kind == FD_EVTCHN) return B.fds[i].wr;
    return -1;
}
/* delivers a port to its fd unless it is already delivered and not yet unmasked (Xen masks on delivery). B.mu held. */
static void port_raise(struct port *p) {
    if (p->delivered) { p->pending = 1; return; }
    int wr = evtchn_wr(p->fd);
    if (wr < 0) return;
    uint32_t v = p->port;
    if (real_write(wr, &v, sizeof v) == sizeof v) { p->delivered = 1; p->pending = 0; }
    else p->pending = 1; /* pipe full: kept pending, delivered on the next unmask */
}

/* ---- the connection ---- */
static void *reader_main(void *arg) {
    int fd = (int)(intptr_t)arg;
    static __thread uint8_t payload[MAX_PAYLOAD];
    for (;;) {
        uint8_t type; uint64_t id; uint32_t len;
        if (recv_frame(fd, &type, &id, payload, &len) < 0) {
            logf_("hypervisor connection lost: %s", strerror(errno));
            pthread_mutex_lock(&B.call_mu);
            if (B.want_id) { B.reply = -EIO; B.have_reply = 1; pthread_cond_broadcast(&B.call_cv); }
            pthread_mutex_unlock(&B.call_mu);
            return NULL;
        }
        if ((type == T_HYPERCALL_RET && len == 8) || (type == T_ERROR && id != 0)) {
            int64_t v = type == T_ERROR ? (int32_t)get32(payload) : (int64_t)get64(payload);
            if (type == T_ERROR) logf_("ERROR frame for request %llu: %d", (unsigned long long)id, (int)v);
            pthread_mutex_lock(&B.call_mu);
            if (id == B.want_id) { B.reply = v; B.have_reply = 1; pthread_cond_broadcast(&B.call_cv); }
            pthread_mutex_unlock(&B.call_mu);
        } else if (type == T_EVTCHN_SEND && len == 8) {
            uint32_t port = get32(payload);
            pthread_mutex_lock(&B.mu);
            struct port *p = port_find(port);
            if (p) port_raise(p);
            pthread_mutex_unlock(&B.mu);
            if (B.trace) logf_("EVTCHN_SEND port %u%s", port, p ? "" : " (not bound here)");
        } else if (type == T_ERROR) {
            logf_("ERROR frame: %d %.*s", (int32_t)get32(payload), (int)(len > 8 ? len - 8 : 0), payload + 8);
        } else {
            logf_("ignored frame type %u length %u", type, len);
        }
    }
}

/* Connects (once per process) and says HELLO as a 4.17 toolstack. B.mu held. */
static int connect_locked(void) {
    if (B.sock >= 0 && B.sock_pid == getpid()) return 0;
    if (!B.socket_path[0] || !B.run_dir[0]) {
        logf_("FALLOW_SOCKET / FALLOW_RUN_DIR not set");
        errno = ENOENT;
        return -1;
    }
    if (arena_create() < 0) return -1;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    strcpy(sa.sun_path, B.socket_path);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        int e = errno;
        logf_("connect %s: %s", B.socket_path, strerror(e));
        real_close(fd);
        errno = ENOENT; /* as if there were no privcmd device */
        return -1;
    }
    size_t plen = strlen(B.arena_path);
    uint8_t hello[48 + PATH_MAX] = {0};
    put32(hello + 0, ROLE_TOOLSTACK);
    put32(hello + 4, PROFILE_XEN_4_17);
    put16(hello + 10, B.strict ? 0 : HELLO_FLAG_VM_EVENT_RESPONSE_COMPAT);
    put32(hello + 12, (uint32_t)plen);
    put64(hello + 32, (uint64_t)(uintptr_t)B.arena);
    put64(hello + 40, ARENA_BYTES);
    memcpy(hello + 48, B.arena_path, plen);
    uint8_t type = 0; uint64_t id; uint32_t len = 0;
    static uint8_t ack[MAX_PAYLOAD];
    if (send_frame(fd, T_HELLO, 1, hello, 48 + plen) < 0 || recv_frame(fd, &type, &id, ack, &len) < 0
        || type != T_HELLO_ACK || len < 32) {
        logf_("handshake with %s failed (type %u)", B.socket_path, type);
        real_close(fd);
        errno = EIO;
        return -1;
    }
    int64_t status = (int64_t)get64(ack);
    if (status != 0) {
        logf_("HELLO refused: %lld", (long long)status);
        real_close(fd);
        errno = (int)-status;
        return -1;
    }
    uint32_t rl = get32(ack + 12);
    if (rl >= sizeof B.hv_run_dir || 32 + rl > len) rl = 0;
    memcpy(B.hv_run_dir, ack + 32, rl);
    B.hv_run_dir[rl] = 0;
    B.sock = fd;
    B.sock_pid = getpid();
    B.next_id = 2;
    /* the domain memory descriptors of a parent are fine to reuse; the ports are the parent's */
    if (pthread_create(&B.reader, NULL, reader_main, (void *)(intptr_t)fd) != 0) {
        real_close(fd);
        B.sock = -1;
        errno = EAGAIN;
        return -1;
    }
    pthread_detach(B.reader);
    logf_("connected to %s as a 4.17 toolstack (arena %s at %p)", B.socket_path, B.arena_path, (void *)B.arena);
    return 0;
}

static void child_after_fork(void) {
    /* the socket (and its reader thread) belong to the parent: the child opens its own on first use */
    if (B.sock >= 0) { real_close(B.sock); B.sock = -1; }
    B.sock_pid = 0;
    pthread_mutex_init(&B.mu, NULL);
    pthread_mutex_init(&B.call_mu, NULL);
    pthread_cond_init(&B.call_cv, NULL);
    B.want_id = 0;
    for (int i = 0; i < MAX_PORTS; i++) B.ports[i].used = 0;
}

/* One hypercall round trip. Returns Xen's value (negative errno on failure), -EIO if the connection is lost. */
static int64_t hypercall(uint64_t op, const uint64_t arg[5]) {
    pthread_mutex_lock(&B.mu);
    int rc = connect_locked();
    int fd = B.sock;
    pthread_mutex_unlock(&B.mu);
    if (rc < 0) return -errno;
    uint8_t p[48];
    put64(p, op);
    for (int i = 0; i < 5; i++) put64(p + 8 + 8 * i, arg[i]);
    pthread_mutex_lock(&B.call_mu);
    uint64_t id = B.next_id++;
    B.want_id = id; B.have_reply = 0;
    int64_t ret;
    if (send_frame(fd, T_HYPERCALL, id, p, sizeof p) < 0) {
        ret = -EIO;
    } else {
        while (!B.have_reply) pthread_cond_wait(&B.call_cv, &B.call_mu);
        ret = B.reply;
    }
    B.want_id = 0;
    pthread_mutex_unlock(&B.call_mu);
    if (B.trace) logf_("hypercall %llu (%#llx, %#llx, %#llx) -> %lld", (unsigned long long)op,
                       (unsigned long long)arg[0], (unsigned long long)arg[1], (unsigned long long)arg[2], (long long)ret);
    return ret;
}

static int evtchn_send(uint32_t port) {
    pthread_mutex_lock(&B.mu);
    int rc = connect_locked();
    int fd = B.sock;
    pthread_mutex_unlock(&B.mu);
    if (rc < 0) return -1;
    uint8_t p[8] = {0};
    put32(p, port);
    pthread_mutex_lock(&B.call_mu);
    uint64_t id = B.next_id++;
    rc = send_frame(fd, T_EVTCHN_SEND, id, p, sizeof p);
    pthread_mutex_unlock(&B.call_mu);
    if (rc < 0) { errno = EIO; return -1; }
    return 0;
}

/* ---- device fds ---- */
static struct devfd *dev(int fd) {
    if (fd < 0 || !B.initialised) return NULL;
    for (int i = 0; i < MAX_FDS; i++) if (B.fds[i].fd == fd) return &B.fds[i];
    return NULL;
}

static enum fdkind device_of(const char *path) {
    if (!path) return FD_NONE;
    if (!strcmp(path, "/dev/xen/privcmd") || !strcmp(path, "/proc/xen/privcmd")) return FD_PRIVCMD;
    if (!strcmp(path, "/dev/xen/hypercall")) return FD_HYPERCALL;
    if (!strcmp(path, "/dev/xen/evtchn")) return FD_EVTCHN;
    return FD_NONE;
}

static int open_device(enum fdkind kind, int flags) {
    pthread_mutex_lock(&B.mu);
    int rc = connect_locked();
    pthread_mutex_unlock(&B.mu);
    if (rc < 0) return -1;
    int fd, wr = -1;
    if (kind == FD_EVTCHN) {
        int p[2];
        if (pipe2(p, O_CLOEXEC | (flags & O_NONBLOCK)) < 0) return -1;
        fcntl(p[1], F_SETFL, O_NONBLOCK);
        fd = p[0]; wr = p[1];
    } else {
        fd = real_open("/dev/null", O_RDWR | (flags & O_CLOEXEC));
        if (fd < 0) return -1;
    }
    pthread_mutex_lock(&B.mu);
    struct devfd *slot = NULL;
    for (int i = 0; i < MAX_FDS; i++) if (B.fds[i].fd < 0) { slot = &B.fds[i]; break; }
    if (slot) { slot->fd = fd; slot->kind = kind; slot->wr = wr; }
    pthread_mutex_unlock(&B.mu);
    if (!slot) {
        real_close(fd);
        if (wr >= 0) real_close(wr);
        errno = EMFILE;
        return -1;
    }
    if (B.trace) logf_("open %s -> fd %d", kind == FD_PRIVCMD ? "privcmd" : kind == FD_HYPERCALL ? "hypercall" : "evtchn", fd);
    return fd;
}

/* the page-file journal (defined with the foreign mappings below) */
static long recover_page_file(const char *path);
static int journal_path(const char *pagefile, char *out, size_t n);
static void journal_write(int fd, const void *buf, size_t n, off_t off);

/* ---- path redirection for libxl's state directories ---- */
static const char *redirect(const char *path, char *buf, size_t n) {
    static const struct { const char *from; const char *to; } map[] = {
        {"/var/lib/xen", "lib"}, {"/var/run/xen", "run"}, {"/run/xen", "run"}, {"/var/log/xen", "log"},
    };
    if (!path || !B.run_dir[0]) return path;
    const char *etc = getenv("FALLOW_XEN_ETC"); /* the packages' etc/xen (xl.conf) instead of the host's /etc/xen */
    if (etc && !strncmp(path, "/etc/xen", 8) && (path[8] == 0 || path[8] == '/')) {
        if (snprintf(buf, n, "%s%s", etc, path + 8) >= (int)n) return path;
        return buf;
    }
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        size_t l = strlen(map[i].from);
        if (!strncmp(path, map[i].from, l) && (path[l] == 0 || path[l] == '/')) {
            char base[PATH_MAX];
            snprintf(base, sizeof base, "%s/xen-state", B.run_dir);
            real_mkdir(base, 0700);
            snprintf(base, sizeof base, "%s/xen-state/%s", B.run_dir, map[i].to);
            real_mkdir(base, 0700);
            if (snprintf(buf, n, "%s%s", base, path + l) >= (int)n) return path;
            if (B.trace) logf_("redirect %s -> %s", path, buf);
            return buf;
        }
    }
    return path;
}

/* ---- intercepted libc entry points ---- */
static int do_open(const char *path, int flags, mode_t mode, int (*real)(const char *, int, ...)) {
    init_once();
    enum fdkind k = device_of(path);
    if (k != FD_NONE) return open_device(k, flags);
    char buf[PATH_MAX];
    const char *p = redirect(path, buf, sizeof buf);
    if ((flags & O_TRUNC) && (flags & O_CREAT) && B.sock_pid == getpid() && B.sock >= 0) recover_page_file(p);
    return real(p, flags, mode);
}

int open(const char *path, int flags, ...) {
    mode_t mode = 0;
    if (flags & (O_CREAT | O_TMPFILE)) { va_list ap; va_start(ap, flags); mode = va_arg(ap, mode_t); va_end(ap); }
    init_once();
    return do_open(path, flags, mode, real_open);
}
int open64(const char *path, int flags, ...) {
    mode_t mode = 0;
    if (flags & (O_CREAT | O_TMPFILE)) { va_list ap; va_start(ap, flags); mode = va_arg(ap, mode_t); va_end(ap); }
    init_once();
    return do_open(path, flags, mode, real_open64 ? real_open64 : real_open);
}
int __open_2(const char *path, int flags) { init_once(); return do_open(path, flags, 0, real_open); }
int __open64_2(const char *path, int flags) { init_once(); return do_open(path, flags, 0, real_open); }

int openat(int dirfd, const char *path, int flags, ...) {
    mode_t mode = 0;
    if (flags & (O_CREAT | O_TMPFILE)) { va_list ap; va_start(ap, flags); mode = va_arg(ap, mode_t); va_end(ap); }
    init_once();
    if (path && path[0] == '/') {
        enum fdkind k = device_of(path);
        if (k != FD_NONE) return open_device(k, flags);
        char buf[PATH_MAX];
        return real_openat(dirfd, redirect(path, buf, sizeof buf), flags, mode);
    }
    return real_openat(dirfd, path, flags, mode);
}
int openat64(int dirfd, const char *path, int flags, ...) {
    mode_t mode = 0;
    if (flags & (O_CREAT | O_TMPFILE)) { va_list ap; va_start(ap, flags); mode = va_arg(ap, mode_t); va_end(ap); }
    return openat(dirfd, path, flags, mode);
}

FILE *fopen(const char *path, const char *m) { init_once(); char b[PATH_MAX]; return real_fopen(redirect(path, b, sizeof b), m); }
FILE *fopen64(const char *path, const char *m) { init_once(); char b[PATH_MAX]; return real_fopen64(redirect(path, b, sizeof b), m); }
#define PATH1(ret, name, proto, call) \
    ret name proto { init_once(); char b[PATH_MAX]; path = redirect(path, b, sizeof b); return real_##name call; }
PATH1(int, stat, (const char *path, struct stat *st), (path, st))
PATH1(int, lstat, (const char *path, struct stat *st), (path, st))
PATH1(int, stat64, (const char *path, struct stat64 *st), (path, st))
PATH1(int, lstat64, (const char *path, struct stat64 *st), (path, st))
PATH1(int, access, (const char *path, int m), (path, m))
PATH1(int, mkdir, (const char *path, mode_t m), (path, m))
int unlink(const char *path) {
    init_once();
    char b[PATH_MAX], jp[PATH_MAX];
    path = redirect(path, b, sizeof b);
    int r = real_unlink(path);
    struct stat st;
    /* the pager removes its page file when it is done: its journal goes too */
    if (r == 0 && journal_path(path, jp, sizeof jp) == 0 && lstat(jp, &st) == 0 && S_ISREG(st.st_mode)) real_unlink(jp);
    return r;
}
PATH1(int, rmdir, (const char *path), (path))
PATH1(DIR *, opendir, (const char *path), (path))
PATH1(int, chmod, (const char *path, mode_t m), (path, m))
PATH1(int, truncate, (const char *path, off_t l), (path, l))
PATH1(int, fstatat, (int d, const char *path, struct stat *st, int f), (d, path, st, f))
PATH1(int, fstatat64, (int d, const char *path, struct stat64 *st, int f), (d, path, st, f))
int glob(const char *pattern, int flags, int (*errfunc)(const char *, int), glob_t *g) {
    init_once();
    char b[PATH_MAX];
    return real_glob(redirect(pattern, b, sizeof b), flags, errfunc, g);
}
int rename(const char *a, const char *b) {
    init_once();
    char x[PATH_MAX], y[PATH_MAX];
    return real_rename(redirect(a, x, sizeof x), redirect(b, y, sizeof y));
}
int link(const char *a, const char *b) {
    init_once();
    char x[PATH_MAX], y[PATH_MAX];
    return real_link(redirect(a, x, sizeof x), redirect(b, y, sizeof y));
}

int close(int fd) {
    init_once();
    struct devfd *d = dev(fd);
    if (d) {
        pthread_mutex_lock(&B.mu);
        if (d->kind == FD_EVTCHN) {
            for (int i = 0; i < MAX_PORTS; i++) if (B.ports[i].used && B.ports[i].fd == fd) B.ports[i].used = 0;
            if (d->wr >= 0) real_close(d->wr);
        }
        d->fd = -1; d->kind = FD_NONE; d->wr = -1;
        pthread_mutex_unlock(&B.mu);
    }
    return real_close(fd);
}

/* write() on an evtchn fd unmasks the ports written (u32 each) */
ssize_t pwrite(int fd, const void *buf, size_t n, off_t off) {
    init_once();
    ssize_t r = real_pwrite(fd, buf, n, off);
    if (r == (ssize_t)n && B.nmapped) journal_write(fd, buf, n, off);
    return r;
}
ssize_t pwrite64(int fd, const void *buf, size_t n, off_t off) { return pwrite(fd, buf, n, off); }

ssize_t write(int fd, const void *buf, size_t n) {
    init_once();
    struct devfd *d = dev(fd);
    if (!d && B.nmapped && n == PAGE) { /* a pager writing a mapped guest page to its page file */
        off_t off = lseek(fd, 0, SEEK_CUR);
        ssize_t r = real_write(fd, buf, n);
        if (r == (ssize_t)n && off >= 0) journal_write(fd, buf, n, off);
        return r;
    }
    if (!d || d->kind != FD_EVTCHN) return real_write(fd, buf, n);
    if (n % 4) { errno = EINVAL; return -1; }
    pthread_mutex_lock(&B.mu);
    for (size_t i = 0; i < n / 4; i++) {
        uint32_t port;
        memcpy(&port, (const uint8_t *)buf + 4 * i, 4);
        struct port *p = port_find(port);
        if (p && p->fd == fd) {
            p->delivered = 0;
            if (p->pending) port_raise(p);
        }
    }
    pthread_mutex_unlock(&B.mu);
    return n;
}

/* the descriptor of <hv run dir>/dom<D>.mem, cached */
static int dom_mem_fd(int domid) {
    for (int i = 0; i < MAX_DOMS; i++) if (B.doms_fd[i] >= 0 && B.doms_id[i] == domid) return B.doms_fd[i];
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/dom%d.mem", B.hv_run_dir[0] ? B.hv_run_dir : B.run_dir, domid);
    int fd = real_open(p, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return -1;
    for (int i = 0; i < MAX_DOMS; i++) if (B.doms_fd[i] < 0) { B.doms_fd[i] = fd; B.doms_id[i] = domid; return fd; }
    real_close(B.doms_fd[0]); /* full: recycle the first */
    B.doms_fd[0] = fd; B.doms_id[0] = domid;
    return fd;
}

/* ---- the page-file journal: a killed real xenpaging's paged-out pages are paged back in by its successor ---- */
static void remember_mapping(uintptr_t addr, uint16_t dom, uint64_t gfn) {
    pthread_mutex_lock(&B.mu);
    int slot = -1;
    for (int i = 0; i < B.nmapped; i++) if (B.mapped[i].addr == addr) { slot = i; break; }
    if (slot < 0) slot = B.nmapped < MAX_MAPPED ? B.nmapped++ : (int)(gfn % MAX_MAPPED); /* full: overwrite one */
    B.mapped[slot] = (struct mapped){addr, dom, gfn};
    pthread_mutex_unlock(&B.mu);
}

static void forget_mappings(uintptr_t addr, size_t len) {
    pthread_mutex_lock(&B.mu);
    for (int i = 0; i < B.nmapped; i++)
        if (B.mapped[i].addr >= addr && B.mapped[i].addr < addr + len) B.mapped[i--] = B.mapped[--B.nmapped];
    pthread_mutex_unlock(&B.mu);
}

/* B.mu held */
static struct mapped *mapping_of(uintptr_t addr) {
    for (int i = 0; i < B.nmapped; i++) if (B.mapped[i].addr == addr) return &B.mapped[i];
    return NULL;
}

static int journal_path(const char *pagefile, char *out, size_t n) {
    return snprintf(out, n, "%s.fallow-slots", pagefile) < (int)n ? 0 : -1;
}

/* Opens (creating when asked) the journal of the page file open on fd. B.mu held. */
static struct journal *journal_for_fd(int fd, int create, uint16_t dom) {
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) return NULL;
    for (int i = 0; i < MAX_JOURNALS; i++)
        if (B.journals[i].map && B.journals[i].dev == st.st_dev && B.journals[i].ino == st.st_ino) return &B.journals[i];
    if (!create) return NULL;
    struct journal *j = NULL;
    for (int i = 0; i < MAX_JOURNALS; i++) if (!B.journals[i].map) { j = &B.journals[i]; break; }
    if (!j) return NULL;
    char link[64], file[PATH_MAX];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t l = readlink(link, file, sizeof file - 1);
    if (l <= 0) return NULL;
    file[l] = 0;
    if (journal_path(file, j->path, sizeof j->path) < 0) return NULL;
    int jfd = real_open(j->path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (jfd < 0) { logf_("journal %s: %s", j->path, strerror(errno)); return NULL; }
    size_t size = JOURNAL_HDR + JOURNAL_GFNS * 8;
    if (ftruncate(jfd, (off_t)size) < 0) { real_close(jfd); return NULL; }
    void *m = real_mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, jfd, 0);
    real_close(jfd);
    if (m == MAP_FAILED) return NULL;
    j->map = m; j->dev = st.st_dev; j->ino = st.st_ino;
    put32(j->map, JOURNAL_MAGIC);
    put32(j->map + 4, 1);
    put32(j->map + 8, dom);
    logf_("journalling page file %s in %s", file, j->path);
    return j;
}

/* A pager wrote page-sized data from a foreign mapping to its page file at offset: gfn -> slot goes to the journal. */
static void journal_write(int fd, const void *buf, size_t n, off_t off) {
    if (n != PAGE || ((uintptr_t)buf & (PAGE - 1)) || off < 0 || (off & (PAGE - 1))) return;
    pthread_mutex_lock(&B.mu);
    struct mapped *m = mapping_of((uintptr_t)buf);
    if (m && m->gfn < JOURNAL_GFNS) {
        struct journal *j = journal_for_fd(fd, 1, m->dom);
        if (j) __atomic_store_n((uint64_t *)(j->map + JOURNAL_HDR + 8 * m->gfn), (uint64_t)(off / PAGE) + 1, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&B.mu);
}

/* A page-in (paging_op prep) of gfn succeeded: its slot no longer holds the only copy. */
static void journal_clear(uint16_t dom, uint64_t gfn) {
    if (gfn >= JOURNAL_GFNS) return;
    pthread_mutex_lock(&B.mu);
    for (int i = 0; i < MAX_JOURNALS; i++)
        if (B.journals[i].map && get32(B.journals[i].map + 8) == dom)
            __atomic_store_n((uint64_t *)(B.journals[i].map + JOURNAL_HDR + 8 * gfn), 0, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&B.mu);
}

static int64_t hypercall(uint64_t op, const uint64_t arg[5]);

/*
 * A pager is about to truncate path: if a previous pager of this page file died with pages out (its journal has
 * entries), page them back in from the file first (XENMEM_paging_op prep with the data), so nothing is lost when the
 * new pager starts over. Stale entries (dropped pages, pages that were not evicted) are refused by the hypervisor and
 * skipped. Returns the pages recovered.
 */
static long recover_page_file(const char *path) {
    char jpath[PATH_MAX];
    struct stat st;
    if (journal_path(path, jpath, sizeof jpath) < 0 || lstat(jpath, &st) < 0 || !S_ISREG(st.st_mode)
        || st.st_uid != geteuid() || (size_t)st.st_size < JOURNAL_HDR) return 0;
    int jfd = real_open(jpath, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    int pfd = real_open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    long done = 0, stale = 0;
    uint8_t *j = MAP_FAILED;
    if (jfd >= 0) j = real_mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, jfd, 0);
    uint8_t *op = arena_alloc(PAGE), *buf = arena_alloc(PAGE);
    if (j != MAP_FAILED && pfd >= 0 && op && buf && get32(j) == JOURNAL_MAGIC) {
        uint16_t dom = (uint16_t)get32(j + 8);
        size_t n = ((size_t)st.st_size - JOURNAL_HDR) / 8;
        for (size_t gfn = 0; gfn < n && gfn < JOURNAL_GFNS; gfn++) {
            uint64_t slot1 = get64(j + JOURNAL_HDR + 8 * gfn);
            if (!slot1) continue;
            if (pread(pfd, buf, PAGE, (off_t)((slot1 - 1) * PAGE)) != (ssize_t)PAGE) { stale++; continue; }
            memset(op, 0, 24);
            op[0] = 2; /* XENMEM_paging_op_prep */
            op[2] = dom & 0xFF; op[3] = dom >> 8;
            put64(op + 8, (uint64_t)(uintptr_t)buf);
            put64(op + 16, gfn);
            uint64_t a[5] = {20 /* XENMEM_paging_op */, (uintptr_t)op, 0, 0, 0};
            if (hypercall(HYPERVISOR_memory_op, a) == 0) done++; else stale++;
        }
        logf_("page file %s of a pager that died: %ld pages paged back in from it, %ld stale journal entries", path, done, stale);
    }
    if (op) arena_free(op, PAGE);
    if (buf) arena_free(buf, PAGE);
    if (j != MAP_FAILED) munmap(j, (size_t)st.st_size);
    if (jfd >= 0) real_close(jfd);
    if (pfd >= 0) real_close(pfd);
    unlink(jpath);
    return done;
}

/*
 * The heart of foreign mapping: asks the hypervisor for each gfn's verdict with XENMEM_add_to_physmap_batch
 * (XENMAPSPACE_gmfn_foreign; the hypervisor starts a page-in for a paged-out gfn and answers -ENOENT), then maps
 * the frames it accepted from dom<D>.mem over the caller's reservation. errs[i] gets 0 or a negative errno.
 * Returns 0, or -1 with errno when the batch as a whole failed.
 */
static int map_foreign(uint16_t dom, uint64_t addr, const uint64_t *gfns, int *errs, unsigned num) {
    struct xen_add_to_physmap_batch *x = arena_alloc(PAGE);
    uint64_t *idxs = arena_alloc(BATCH_CHUNK * 8), *gpfns = arena_alloc(BATCH_CHUNK * 8);
    int *e = arena_alloc(BATCH_CHUNK * 4);
    int rc = 0;
    if (!x || !idxs || !gpfns || !e) { rc = -1; errno = ENOMEM; goto out; }
    for (unsigned done = 0; done < num; done += BATCH_CHUNK) {
        unsigned n = num - done < BATCH_CHUNK ? num - done : BATCH_CHUNK;
        for (unsigned i = 0; i < n; i++) { idxs[i] = gfns[done + i]; gpfns[i] = (addr / PAGE) + done + i; e[i] = 0; }
        *x = (struct xen_add_to_physmap_batch){.domid = DOMID_SELF, .space = XENMAPSPACE_gmfn_foreign, .size = n,
                                               .foreign_domid = dom, .idxs = (uintptr_t)idxs,
                                               .gpfns = (uintptr_t)gpfns, .errs = (uintptr_t)e};
        uint64_t a[5] = {XENMEM_add_to_physmap_batch, (uintptr_t)x, 0, 0, 0};
        int64_t r = hypercall(HYPERVISOR_memory_op, a);
        if (r < 0) { rc = -1; errno = (int)-r; goto out; }
        pthread_mutex_lock(&B.mu);
        int mfd = dom_mem_fd(dom);
        pthread_mutex_unlock(&B.mu);
        if (mfd < 0) { rc = -1; errno = ESRCH; goto out; }
        for (unsigned i = 0; i < n; i++) {
            errs[done + i] = e[i];
            if (e[i] != 0) continue;
            void *at = (void *)(uintptr_t)(addr + (uint64_t)(done + i) * PAGE);
            if (real_mmap(at, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, mfd, (off_t)(gfns[done + i] * PAGE)) == MAP_FAILED)
                errs[done + i] = -EFAULT;
            else
                remember_mapping((uintptr_t)at, dom, gfns[done + i]);
        }
    }
out:
    if (x) arena_free(x, PAGE);
    if (idxs) arena_free(idxs, BATCH_CHUNK * 8);
    if (gpfns) arena_free(gpfns, BATCH_CHUNK * 8);
    if (e) arena_free(e, BATCH_CHUNK * 4);
    return rc;
}

static int privcmd_ioctl(unsigned long req, void *arg) {
    switch (req) {
    case IOCTL_PRIVCMD_HYPERCALL: {
        struct privcmd_hypercall *h = arg;
        int64_t r = hypercall(h->op, h->arg);
        if (r == 0 && h->op == HYPERVISOR_memory_op && (h->arg[0] & 0x3f) == 20 && in_arena((void *)(uintptr_t)h->arg[1])) {
            const uint8_t *pop = (const uint8_t *)(uintptr_t)h->arg[1]; /* xen_mem_paging_op: op, domain, buffer, gfn */
            if (pop[0] == 2) journal_clear((uint16_t)(pop[2] | pop[3] << 8), get64(pop + 16));
        }
        if (r < 0 && r >= -4095) { errno = (int)-r; return -1; }
        return (int)r;
    }
    case IOCTL_PRIVCMD_MMAPBATCH_V2: {
        struct privcmd_mmapbatch_v2 *m = arg;
        if (m->num == 0) return 0;
        if (m->num > (1u << 20) || (m->addr & (PAGE - 1))) { errno = EINVAL; return -1; }
        if (map_foreign(m->dom, m->addr, m->arr, m->err, m->num) < 0) return -1;
        int paged = 0, other = 0;
        for (unsigned i = 0; i < m->num; i++) { if (m->err[i] == -ENOENT) paged = 1; else if (m->err[i]) other = 1; }
        /* Linux: -ENOENT when some gfn is paged out (the caller retries those), else -EFAULT if any failed */
        if (paged) { errno = ENOENT; return -1; }
        if (other) { errno = EFAULT; return -1; }
        return 0;
    }
    case IOCTL_PRIVCMD_MMAPBATCH: {
        struct privcmd_mmapbatch *m = arg;
        if (m->num <= 0 || m->num > (1 << 20)) { errno = EINVAL; return -1; }
        int *errs = calloc(m->num, sizeof(int));
        if (!errs) { errno = ENOMEM; return -1; }
        int rc = map_foreign(m->dom, m->addr, m->arr, errs, m->num);
        int paged = 0;
        for (int i = 0; rc == 0 && i < m->num; i++) {
            if (errs[i] == -ENOENT) { m->arr[i] |= PRIVCMD_MMAPBATCH_PAGED_ERROR; paged = 1; }
            else if (errs[i]) m->arr[i] |= PRIVCMD_MMAPBATCH_MFN_ERROR;
        }
        free(errs);
        if (rc < 0) return -1;
        if (paged) { errno = ENOENT; return -1; }
        return 0;
    }
    case IOCTL_PRIVCMD_RESTRICT:
        return 0; /* the toolstack connection acts as dom0; a restriction would only narrow it */
    case IOCTL_PRIVCMD_MMAP_RESOURCE:
        /* Linux forwards XENMEM_acquire_resource; Fallow has no resources to acquire: as a Xen without it */
        unserved("IOCTL_PRIVCMD_MMAP_RESOURCE", EOPNOTSUPP);
        errno = EOPNOTSUPP;
        return -1;
    case IOCTL_PRIVCMD_DM_OP:
        unserved("IOCTL_PRIVCMD_DM_OP (no device model ops)", ENOSYS);
        errno = ENOSYS;
        return -1;
    case IOCTL_PRIVCMD_MMAP:
        unserved("IOCTL_PRIVCMD_MMAP (v0 foreign mapping)", ENOTTY);
        errno = ENOTTY;
        return -1;
    default: {
        char what[48];
        snprintf(what, sizeof what, "privcmd ioctl %#lx", req);
        unserved(what, ENOTTY);
        errno = ENOTTY; /* what Linux's privcmd answers for an ioctl it does not know (the UNIMPLEMENTED probe) */
        return -1;
    }
    }
}

static struct port *port_add(int fd, uint32_t port) {
    struct port *p = port_find(port);
    if (!p) for (int i = 0; i < MAX_PORTS; i++) if (!B.ports[i].used) { p = &B.ports[i]; break; }
    if (!p) return NULL;
    *p = (struct port){.used = 1, .fd = fd, .port = port};
    return p;
}

static int evtchn_ioctl(int fd, unsigned long req, void *arg) {
    static uint32_t next_local = 0x8000; /* ports of bindings that never fire (VIRQs, unbound ports) */
    switch (req) {
    case IOCTL_EVTCHN_BIND_INTERDOMAIN: {
        unsigned int *b = arg; /* remote_domain, remote_port */
        pthread_mutex_lock(&B.mu);
        struct port *p = port_add(fd, b[1]);
        pthread_mutex_unlock(&B.mu);
        if (!p) { errno = ENOSPC; return -1; }
        if (B.trace) logf_("evtchn bind_interdomain d%u port %u", b[0], b[1]);
        return (int)b[1]; /* the local port is the port the hypervisor signals */
    }
    case IOCTL_EVTCHN_BIND_VIRQ:
    case IOCTL_EVTCHN_BIND_UNBOUND_PORT: {
        unserved(req == IOCTL_EVTCHN_BIND_VIRQ ? "IOCTL_EVTCHN_BIND_VIRQ (port never fires)"
                                               : "IOCTL_EVTCHN_BIND_UNBOUND_PORT (port never fires)", 0);
        pthread_mutex_lock(&B.mu);
        struct port *p = port_add(fd, next_local++);
        pthread_mutex_unlock(&B.mu);
        if (!p) { errno = ENOSPC; return -1; }
        return (int)p->port;
    }
    case IOCTL_EVTCHN_UNBIND: {
        pthread_mutex_lock(&B.mu);
        struct port *p = port_find(*(unsigned int *)arg);
        if (p && p->fd == fd) p->used = 0;
        pthread_mutex_unlock(&B.mu);
        if (!p) { errno = ENOTCONN; return -1; }
        return 0;
    }
    case IOCTL_EVTCHN_NOTIFY: {
        uint32_t port = *(unsigned int *)arg;
        pthread_mutex_lock(&B.mu);
        struct port *p = port_find(port);
        pthread_mutex_unlock(&B.mu);
        if (!p) { errno = EINVAL; return -1; }
        if (p->port >= 0x8000) return 0;
        return evtchn_send(port);
    }
    case IOCTL_EVTCHN_RESET:
        pthread_mutex_lock(&B.mu);
        for (int i = 0; i < MAX_PORTS; i++) if (B.ports[i].used && B.ports[i].fd == fd) B.ports[i].used = 0;
        pthread_mutex_unlock(&B.mu);
        return 0;
    case IOCTL_EVTCHN_RESTRICT_DOMID:
        return 0;
    default: {
        char what[48];
        snprintf(what, sizeof what, "evtchn ioctl %#lx", req);
        unserved(what, ENOTTY);
        errno = ENOTTY;
        return -1;
    }
    }
}

int ioctl(int fd, unsigned long req, ...) {
    va_list ap;
    va_start(ap, req);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    init_once();
    struct devfd *d = dev(fd);
    if (!d) return real_ioctl(fd, req, arg);
    if (d->kind == FD_PRIVCMD) return privcmd_ioctl(req, arg);
    if (d->kind == FD_EVTCHN) return evtchn_ioctl(fd, req, arg);
    unserved("ioctl on /dev/xen/hypercall", ENOTTY);
    errno = ENOTTY;
    return -1;
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off) {
    init_once();
    struct devfd *d = fd >= 0 ? dev(fd) : NULL;
    if (!d) return real_mmap(addr, len, prot, flags, fd, off);
    if (d->kind == FD_HYPERCALL) {
        void *p = arena_alloc(len);
        if (!p) { logf_("hypercall buffer of %zu bytes: arena full", len); errno = ENOMEM; return MAP_FAILED; }
        return p;
    }
    if (d->kind == FD_PRIVCMD) /* address space for MMAPBATCH to fill */
        return real_mmap(addr, len, prot, (flags & ~(MAP_SHARED | MAP_SHARED_VALIDATE)) | MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    errno = ENODEV;
    return MAP_FAILED;
}
void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off) { return mmap(addr, len, prot, flags, fd, off); }

int munmap(void *addr, size_t len) {
    init_once();
    if (in_arena(addr)) { arena_free(addr, len); return 0; }
    if (B.nmapped) forget_mappings((uintptr_t)addr, len);
    return real_munmap(addr, len);
}
