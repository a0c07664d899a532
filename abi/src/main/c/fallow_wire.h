/*
 * Fallow's own structs (docs/PROTOCOL.md), declared in C for C clients. The Java declarations are the flyweights in
 * org.fallow.abi.wire; CProbeTest compiles offsetof/sizeof of every member against this file, as it does for Xen's
 * structs against Xen's headers. Little-endian, x86_64.
 */
#ifndef FALLOW_WIRE_H
#define FALLOW_WIRE_H

#include <stdint.h>

/* dom<D>.p2m: this 64-byte header, then one uint32_t entry per gfn (PROTOCOL §3.3). */
#define FALLOW_P2M_MAGIC 0x4D325046u      /* "FP2M" */
#define FALLOW_P2M_VERSION 1u
struct fallow_p2m_header {
    uint32_t magic;
    uint32_t version;
    uint64_t nr_frames;
    uint32_t domain_state;                /* 0 running, 1 paused, 2 crashed, 3 dying */
    uint32_t pad;
    uint8_t reserved[40];
};
/* entry: bits 0-7 p2m type (Xen 4.12 numbering), 8-15 reserved, 16-31 in-flight guest accesses */
#define FALLOW_P2M_TYPE_MASK 0xFFu
#define FALLOW_P2M_INFLIGHT_ONE 0x10000u

#endif
