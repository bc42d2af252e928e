/* SPDX-License-Identifier: GPL-2.0 */
/* Names of p2pscope's values: events, map types, results. */
#ifndef P2PSCOPE_NAMES_H
#define P2PSCOPE_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "p2pscope.h"

const char *event_name(int type);
int event_parse(const char *name);
/* comma list of event names to a bit mask (1 << type); -1 on error */
int events_parse(const char *list);
const char *map_type_name(int type);	/* BUS_ADDR, ... */
const char *map_type_short(int type);	/* BUS, HOSTBR, NOSUP */

/*
 * The errno a block status becomes (the kernel's blk_status_to_errno()),
 * 0 for success, or 0 with *known false for a status this table lacks.
 */
int blk_status_errno(int status, bool *known);

/* An event's result: "ok", "EREMOTEIO", "SIGBUS", "blk_status 42" */
const char *result_name(const struct p2p_event *e, char *buf, size_t len);
/* the errno behind the result, 0 if none */
int result_errno(const struct p2p_event *e);
bool event_is_failure(const struct p2p_event *e);

#endif /* P2PSCOPE_NAMES_H */
