/* SPDX-License-Identifier: GPL-2.0 */
#ifndef P2PSCOPE_TOP_REASON_H
#define P2PSCOPE_TOP_REASON_H
#include <stddef.h>
/* Why P2P between provider and client is NOT_SUPPORTED, from sysfs. */
const char *p2p_reason(const char *provider, const char *client, char *buf, size_t len);
#endif
