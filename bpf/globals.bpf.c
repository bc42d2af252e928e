// SPDX-License-Identifier: GPL-2.0
/*
 * The settings every p2pscope BPF program reads, fixed by userspace before
 * load (see p2pscope.bpf.h), and the object's license.
 */
#include "p2pscope.bpf.h"

char LICENSE[] SEC("license") = "GPL";

const volatile bool trace_mode = false;
const volatile bool top_mode = false;
const volatile bool hist_mode = false;
const volatile __u32 targ_tgid = 0;
const volatile __u32 targ_dev = 0;
const volatile char targ_provider[P2P_NAME_LEN] = {};
const volatile __u32 targ_events = ~0U;
const volatile bool targ_failures = false;
const volatile __u32 page_size = 4096;

/* set after attach: fentry_calc is running (decision.bpf.c) */
bool calc_hooked = false;

/* client_disks has an entry: other I/O is worth a lookup (blockio.bpf.c) */
bool have_client_disks = false;
__u64 last_client_q = 0;

/* set after attach: requests made since are seen whole (blockio.bpf.c) */
__u64 since_ns = 0;
