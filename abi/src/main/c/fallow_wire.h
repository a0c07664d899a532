/*
 * Fallow's own structs (docs/PROTOCOL.md), declared in C for C clients. The Java declarations are the flyweights in
 * org.fallow.abi.wire; CProbeTest compiles offsetof/sizeof of every member against this file, as it does for Xen's
 * structs against Xen's headers. Little-endian, x86_64.
 */
#ifndef FALLOW_WIRE_H
#define FALLOW_WIRE_H

#include <stdint.h>

/* dom<D>.p2m: this 4096-byte header page (with the PoD extent table), then one uint32_t entry per gfn at
 * 4096 + 4 * gfn (PROTOCOL §3.3). */
#define FALLOW_P2M_MAGIC 0x4D325046u      /* "FP2M" */
#define FALLOW_P2M_VERSION 2u
#define FALLOW_P2M_POD_EXTENTS_MAX 252
struct fallow_p2m_pod_extent {
    uint64_t first_gfn;
    uint64_t end_gfn;                     /* exclusive; only ever raised, by one aligned 8-byte store */
};
struct fallow_p2m_header {
    uint32_t magic;
    uint32_t version;
    uint64_t nr_frames;
    uint32_t domain_state;                /* 0 running, 1 paused, 2 crashed, 3 dying */
    uint32_t nr_pod_extents;              /* pod_extents[0, n) in use; read it with acquire */
    uint8_t reserved[40];
    struct fallow_p2m_pod_extent pod_extents[FALLOW_P2M_POD_EXTENTS_MAX];
};
/* entry: bits 0-7 stored type (0 unset, else Xen 4.12 p2m type + 1), 8-15 reserved, 16-31 in-flight guest accesses.
 * An unset entry is populate_on_demand inside a pod_extent, invalid otherwise. */
#define FALLOW_P2M_TYPE_MASK 0xFFu
#define FALLOW_P2M_UNSET 0u
#define FALLOW_P2M_STORED(t) ((uint32_t)(t) + 1u)
#define FALLOW_P2M_INFLIGHT_ONE 0x10000u

/* Every frame: this 24-byte header, then `length` payload bytes (PROTOCOL §1). */
#define FALLOW_FRAME_MAGIC 0x574C4146u    /* "FALW" */
#define FALLOW_FRAME_VERSION 1u
#define FALLOW_MAX_PAYLOAD 8192u
struct fallow_frame_header {
    uint32_t magic;
    uint8_t version;
    uint8_t type;                         /* enum: HELLO 1 ... BYE 11 (PROTOCOL §1.1) */
    uint16_t flags;                       /* must be 0 */
    uint64_t request_id;
    uint32_t length;                      /* payload bytes, <= FALLOW_MAX_PAYLOAD */
    uint32_t reserved;                    /* must be 0 */
};

/* HELLO (client -> hypervisor, PROTOCOL §2.1): then path_len bytes of arena path (UTF-8). */
struct fallow_hello {
    uint32_t role;                        /* 1 toolstack, 2 guest */
    uint32_t profile;                     /* 1 = 4.12, 2 = 2009, 3 = 4.17 */
    uint16_t domid;
    uint16_t flags;                       /* bit 0: vm_event response-version compatibility */
    uint32_t path_len;
    uint8_t secret[16];                   /* guest: the domain handle */
    uint64_t arena_base;                  /* toolstack */
    uint64_t arena_len;                   /* toolstack */
};

/* HELLO_ACK (hypervisor -> client, PROTOCOL §2.2): then path_len bytes of run directory (UTF-8). */
struct fallow_hello_ack {
    int64_t status;                       /* 0 or a negated Xen errno */
    uint16_t domid;
    uint16_t pad;
    uint32_t path_len;
    uint64_t nr_frames;                   /* guest gfns / host pages */
    uint32_t xen_version;                 /* major << 16 | minor */
    uint32_t pad2;
};

/* ERROR (PROTOCOL §1.2): then text_len bytes of reason (UTF-8). */
struct fallow_error {
    int32_t xen_errno;                    /* negative */
    uint32_t text_len;
};

/* HYPERCALL_RET and FAULT_DONE: the result, or a negated Xen errno. (HYPERCALL is struct privcmd_hypercall.) */
struct fallow_status {
    int64_t value;
};

/* EVTCHN_SEND (both directions, PROTOCOL §5). */
struct fallow_evtchn_send {
    uint32_t port;
    uint32_t pad;
};

/* MEM_FAULT (guest -> hypervisor, PROTOCOL §3.3). */
struct fallow_mem_fault {
    uint64_t gfn;
    uint32_t access;                      /* 1 read, 2 write */
    uint32_t vcpu_id;
};

/* DOMAIN_EVENT (hypervisor -> guest): then text_len bytes of reason (UTF-8). (XENSTORE is struct xsd_sockmsg.) */
struct fallow_domain_event {
    uint32_t event;                       /* 1 crashed, 2 destroyed */
    uint32_t text_len;
};

#endif
