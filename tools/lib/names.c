// SPDX-License-Identifier: GPL-2.0
/* Names of events, map types, block statuses and results. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "names.h"

static const char *const event_names[P2P_EV_MAX] = {
	[P2P_EV_ALLOC] = "alloc", [P2P_EV_FREE] = "free",
	[P2P_EV_FAULT] = "fault", [P2P_EV_CLOSE] = "close",
	[P2P_EV_MAP] = "map", [P2P_EV_IO] = "io",
	[P2P_EV_FALLBACK] = "fallback", [P2P_EV_REVOKE] = "revoke",
	[P2P_EV_DMAFAULT] = "dmafault",
};

const char *event_name(int type)
{
	return type > 0 && type < P2P_EV_MAX ? event_names[type] : "?";
}

int event_parse(const char *name)
{
	for (int i = 1; i < P2P_EV_MAX; i++)
		if (!strcmp(name, event_names[i]))
			return i;
	return -1;
}

int events_parse(const char *list)
{
	char buf[256], *tok, *save = NULL;
	int mask = 0;

	if (!*list || strlen(list) >= sizeof(buf) || list[strlen(list) - 1] == ',')
		return -1;
	snprintf(buf, sizeof(buf), "%s", list);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int t = event_parse(tok);

		if (t < 0)
			return -1;
		mask |= 1 << t;
	}
	return mask ? mask : -1;
}

const char *map_type_name(int type)
{
	switch (type) {
	case P2P_MAP_NOT_SUPPORTED: return "NOT_SUPPORTED";
	case P2P_MAP_BUS_ADDR: return "BUS_ADDR";
	case P2P_MAP_THRU_HOST_BRIDGE: return "THRU_HOST_BRIDGE";
	default: return "UNKNOWN";
	}
}

const char *map_type_short(int type)
{
	switch (type) {
	case P2P_MAP_NOT_SUPPORTED: return "NOSUP";
	case P2P_MAP_BUS_ADDR: return "BUS";
	case P2P_MAP_THRU_HOST_BRIDGE: return "HOSTBR";
	default: return "?";
	}
}

/*
 * blk_status_t is a set of #defines, not an enum, so BTF cannot tell its
 * values; they are the kernel's block/blk-core.c blk_errors[], which has
 * only ever been appended to (6.12 and 7.3 agree on all of these).
 */
int blk_status_errno(int status, bool *known)
{
	static const int errnos[] = {
		0, EOPNOTSUPP, ETIMEDOUT, ENOSPC, ENOLINK, EREMOTEIO, EBADE, ENODATA,
		EILSEQ, ENOMEM, EIO, EREMCHG, EAGAIN, EBUSY, ETOOMANYREFS, EOVERFLOW,
		ENODEV, ETIME, 0, EINVAL,
	};

	*known = status >= 0 && status < (int)(sizeof(errnos) / sizeof(errnos[0])) &&
		 (status == 0 || errnos[status]);
	return *known ? errnos[status] : 0;
}

int result_errno(const struct p2p_event *e)
{
	bool known;

	if (e->type == P2P_EV_IO || e->type == P2P_EV_FALLBACK)
		return blk_status_errno(e->result, &known);
	return e->result < 0 && e->result != P2P_RESULT_SIGBUS ? -e->result : 0;
}

const char *result_name(const struct p2p_event *e, char *buf, size_t len)
{
	const char *name;
	bool known = true;
	int err;

	/* the IOMMU refused the DMA (whatever the device was told) */
	if (e->type == P2P_EV_DMAFAULT)
		return "blocked";
	if (!e->result)
		return "ok";
	if (e->result == P2P_RESULT_SIGBUS && e->type != P2P_EV_IO && e->type != P2P_EV_FALLBACK)
		return "SIGBUS";
	if (e->type == P2P_EV_IO || e->type == P2P_EV_FALLBACK) {
		err = blk_status_errno(e->result, &known);
		if (!known) {
			snprintf(buf, len, "blk_status %d", e->result);
			return buf;
		}
	} else {
		err = -e->result;
	}
	name = err > 0 ? strerrorname_np(err) : NULL;
	if (name)
		return name;
	snprintf(buf, len, "%d", e->result);
	return buf;
}

bool event_is_failure(const struct p2p_event *e)
{
	return e->result || e->type == P2P_EV_FALLBACK || e->type == P2P_EV_REVOKE ||
	       e->type == P2P_EV_DMAFAULT ||
	       (e->type == P2P_EV_MAP && e->map_type == P2P_MAP_NOT_SUPPORTED);
}
