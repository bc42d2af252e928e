// SPDX-License-Identifier: GPL-2.0
/*
 * p2ptop's Prometheus metrics from a fake model: the exact text, label
 * escaping of names the kernel gives, mappings left out where they are not
 * tracked, and the textfile written atomically and removed at exit.
 * "metrics --print" writes the fake model's metrics for promtool
 * (tests/host/metrics.sh).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "metrics.h"
#include "unit.h"

static struct top_model m;

/* One provider with traffic, one whose kernel-given name is hostile. */
static void fake_model(void)
{
	struct top_provider *p = &m.prov[0];
	struct top_pair *q;

	memset(&m, 0, sizeof(m));
	m.nprov = 2;
	strcpy(p->bdf, "0000:03:00.0");
	strcpy(p->name, "nvme0");
	p->size = 16777216;
	p->avail = 16646144;
	p->published = true;
	p->now = (struct top_totals){
		.allocs = 3, .frees = 1, .alloc_bytes = 196608, .free_bytes = 65536,
		.faults = 3, .closes = 1,
		.maps = { [P2P_MAP_BUS_ADDR] = 2, [P2P_MAP_NOT_SUPPORTED] = 4,
			  [P2P_MAP_UNKNOWN] = 9 },
		.fallbacks = 2, .fallback_bytes = 131072,
		.ios = 2, .read_bytes = 65536, .write_bytes = 65536,
		.live_maps = 1, .held_bytes = 65536,
	};
	p->old_maps = 1;	/* one more from before the start: 64 KiB */
	p->old_bytes = 65536;

	p = &m.prov[1];
	/* quote, backslash, newline, a stray byte, then valid UTF-8 (e acute) */
	memcpy(p->bdf, "0000:04:00.0", 13);
	memcpy(p->name, "a\"b\\c\nd\xff\xc3\xa9", 11);
	p->size = 4096;
	p->avail = 4096;

	m.npair = 2;
	q = &m.pair[0];
	strcpy(q->provider, "0000:03:00.0");
	strcpy(q->client, "0000:05:00.0");
	q->map_type = P2P_MAP_BUS_ADDR;
	q->now = (struct p2p_pair_stats){ .maps = { [P2P_MAP_BUS_ADDR] = 2 }, .ios = 2,
					  .bytes = 131072 };
	q = &m.pair[1];
	strcpy(q->provider, "0000:03:00.0");
	strcpy(q->client, "0000:00:04.0");
	q->map_type = P2P_MAP_NOT_SUPPORTED;
	q->now = (struct p2p_pair_stats){ .maps = { [P2P_MAP_NOT_SUPPORTED] = 4 }, .fallbacks = 2 };
	strcpy(q->reason, "host bridge 8086:29c0 \"q35\" not on allowlist");

	m.pair[0].dma_now = (struct p2p_dmafault_stats){ .faults = 3, .write_faults = 3 };
	m.dma_tracked = true;
	/* the peer pair's reads, and its client's writes through host memory */
	m.nhist = 2;
	strcpy(m.hist[0].provider, "0000:03:00.0");
	strcpy(m.hist[0].client, "0000:05:00.0");
	m.hist[0].map_type = P2P_MAP_BUS_ADDR;
	m.hist[0].h.slot[6] = 2;	/* 64..127 us */
	m.hist[0].h.slot[P2P_HIST_SLOTS - 1] = 1;	/* the open bucket */
	m.hist[0].h.sum_ns = 90000000250ULL;
	strcpy(m.hist[1].client, "0000:05:00.0");
	m.hist[1].map_type = P2P_HIST_HOST;
	m.hist[1].write = true;
	m.hist[1].h.slot[0] = 1;	/* 0..1 us */
	m.hist[1].h.sum_ns = 1500;

	m.live_tracked = true;
	m.lost.n[P2P_LOST_EVENTS] = 5;	/* p2ptop sends no events: not a loss */
	m.lost.n[P2P_LOST_NAMES] = 1;
}

static const char want_full[] =
"# HELP p2pdma_provider_info A P2PDMA provider (PCI device with P2P memory, such as an NVMe CMB); name is its nvme controller, if any.\n"
"# TYPE p2pdma_provider_info gauge\n"
"p2pdma_provider_info{provider=\"0000:03:00.0\",name=\"nvme0\"} 1\n"
"p2pdma_provider_info{provider=\"0000:04:00.0\",name=\"a\\\"b\\\\c\\nd\\\\xff\xc3\xa9\"} 1\n"
"# HELP p2pdma_cmb_published 1 if the provider publishes its P2P memory for any user (sysfs p2pmem/published), else 0.\n"
"# TYPE p2pdma_cmb_published gauge\n"
"p2pdma_cmb_published{provider=\"0000:03:00.0\"} 1\n"
"p2pdma_cmb_published{provider=\"0000:04:00.0\"} 0\n"
"# HELP p2pdma_cmb_size_bytes Size of the provider's P2P memory (sysfs p2pmem/size).\n"
"# TYPE p2pdma_cmb_size_bytes gauge\n"
"p2pdma_cmb_size_bytes{provider=\"0000:03:00.0\"} 16777216\n"
"p2pdma_cmb_size_bytes{provider=\"0000:04:00.0\"} 4096\n"
"# HELP p2pdma_cmb_used_bytes P2P memory in use: size minus available.\n"
"# TYPE p2pdma_cmb_used_bytes gauge\n"
"p2pdma_cmb_used_bytes{provider=\"0000:03:00.0\"} 131072\n"
"p2pdma_cmb_used_bytes{provider=\"0000:04:00.0\"} 0\n"
"# HELP p2pdma_cmb_available_bytes P2P memory free to allocate (sysfs p2pmem/available).\n"
"# TYPE p2pdma_cmb_available_bytes gauge\n"
"p2pdma_cmb_available_bytes{provider=\"0000:03:00.0\"} 16646144\n"
"p2pdma_cmb_available_bytes{provider=\"0000:04:00.0\"} 4096\n"
"# HELP p2pdma_live_mappings Live userspace mappings that hold the provider's memory (only where p2pdma_held_tracked is 1).\n"
"# TYPE p2pdma_live_mappings gauge\n"
"p2pdma_live_mappings{provider=\"0000:03:00.0\"} 2\n"
"p2pdma_live_mappings{provider=\"0000:04:00.0\"} 0\n"
"# HELP p2pdma_held_bytes P2P memory those mappings hold (only where p2pdma_held_tracked is 1).\n"
"# TYPE p2pdma_held_bytes gauge\n"
"p2pdma_held_bytes{provider=\"0000:03:00.0\"} 131072\n"
"p2pdma_held_bytes{provider=\"0000:04:00.0\"} 0\n"
"# HELP p2pdma_allocs_total Allocations from the provider's P2P memory since p2ptop started.\n"
"# TYPE p2pdma_allocs_total counter\n"
"p2pdma_allocs_total{provider=\"0000:03:00.0\"} 3\n"
"p2pdma_allocs_total{provider=\"0000:04:00.0\"} 0\n"
"# HELP p2pdma_frees_total Frees back to the provider's P2P memory since p2ptop started.\n"
"# TYPE p2pdma_frees_total counter\n"
"p2pdma_frees_total{provider=\"0000:03:00.0\"} 1\n"
"p2pdma_frees_total{provider=\"0000:04:00.0\"} 0\n"
"# HELP p2pdma_allocated_bytes_total Bytes allocated from the provider's P2P memory since p2ptop started.\n"
"# TYPE p2pdma_allocated_bytes_total counter\n"
"p2pdma_allocated_bytes_total{provider=\"0000:03:00.0\"} 196608\n"
"p2pdma_allocated_bytes_total{provider=\"0000:04:00.0\"} 0\n"
"# HELP p2pdma_freed_bytes_total Bytes freed back to the provider's P2P memory since p2ptop started.\n"
"# TYPE p2pdma_freed_bytes_total counter\n"
"p2pdma_freed_bytes_total{provider=\"0000:03:00.0\"} 65536\n"
"p2pdma_freed_bytes_total{provider=\"0000:04:00.0\"} 0\n"
"# HELP p2pdma_faults_total Page faults of userspace mappings of the provider's memory, and mmaps of its sysfs p2pmem/allocate file.\n"
"# TYPE p2pdma_faults_total counter\n"
"p2pdma_faults_total{provider=\"0000:03:00.0\"} 3\n"
"p2pdma_faults_total{provider=\"0000:04:00.0\"} 0\n"
"# HELP p2pdma_map_decisions_total Map-type decisions for DMA to or from the provider's memory, by type: BUS_ADDR through a switch, THRU_HOST_BRIDGE through the host bridge, NOT_SUPPORTED refused.\n"
"# TYPE p2pdma_map_decisions_total counter\n"
"p2pdma_map_decisions_total{provider=\"0000:03:00.0\",type=\"BUS_ADDR\"} 2\n"
"p2pdma_map_decisions_total{provider=\"0000:03:00.0\",type=\"THRU_HOST_BRIDGE\"} 0\n"
"p2pdma_map_decisions_total{provider=\"0000:03:00.0\",type=\"NOT_SUPPORTED\"} 4\n"
"p2pdma_map_decisions_total{provider=\"0000:04:00.0\",type=\"BUS_ADDR\"} 0\n"
"p2pdma_map_decisions_total{provider=\"0000:04:00.0\",type=\"THRU_HOST_BRIDGE\"} 0\n"
"p2pdma_map_decisions_total{provider=\"0000:04:00.0\",type=\"NOT_SUPPORTED\"} 0\n"
"# HELP p2pdma_fallbacks_total Block requests on the provider's memory that the kernel refused to map peer-to-peer: the I/O fails and the application must bounce it through host memory.\n"
"# TYPE p2pdma_fallbacks_total counter\n"
"p2pdma_fallbacks_total{provider=\"0000:03:00.0\"} 2\n"
"p2pdma_fallbacks_total{provider=\"0000:04:00.0\"} 0\n"
"# HELP p2pdma_fallback_bytes_total Bytes of the block requests refused for P2P.\n"
"# TYPE p2pdma_fallback_bytes_total counter\n"
"p2pdma_fallback_bytes_total{provider=\"0000:03:00.0\"} 131072\n"
"p2pdma_fallback_bytes_total{provider=\"0000:04:00.0\"} 0\n"
"# HELP p2pdma_io_requests_total Block requests on the provider's memory that completed peer-to-peer.\n"
"# TYPE p2pdma_io_requests_total counter\n"
"p2pdma_io_requests_total{provider=\"0000:03:00.0\"} 2\n"
"p2pdma_io_requests_total{provider=\"0000:04:00.0\"} 0\n"
"# HELP p2pdma_read_bytes_total Bytes read from disks into the provider's memory, peer-to-peer.\n"
"# TYPE p2pdma_read_bytes_total counter\n"
"p2pdma_read_bytes_total{provider=\"0000:03:00.0\"} 65536\n"
"p2pdma_read_bytes_total{provider=\"0000:04:00.0\"} 0\n"
"# HELP p2pdma_written_bytes_total Bytes written to disks from the provider's memory, peer-to-peer.\n"
"# TYPE p2pdma_written_bytes_total counter\n"
"p2pdma_written_bytes_total{provider=\"0000:03:00.0\"} 65536\n"
"p2pdma_written_bytes_total{provider=\"0000:04:00.0\"} 0\n"
"# HELP p2pdma_pair_info A provider and a client (the device doing the DMA) seen together, the map type decided most for them, and why P2P is refused (empty if it is not).\n"
"# TYPE p2pdma_pair_info gauge\n"
"p2pdma_pair_info{provider=\"0000:03:00.0\",client=\"0000:05:00.0\",map_type=\"BUS_ADDR\",reason=\"\"} 1\n"
"p2pdma_pair_info{provider=\"0000:03:00.0\",client=\"0000:00:04.0\",map_type=\"NOT_SUPPORTED\",reason=\"host bridge 8086:29c0 \\\"q35\\\" not on allowlist\"} 1\n"
"# HELP p2pdma_pair_map_decisions_total Map-type decisions for the pair, by type (as p2pdma_map_decisions_total).\n"
"# TYPE p2pdma_pair_map_decisions_total counter\n"
"p2pdma_pair_map_decisions_total{provider=\"0000:03:00.0\",client=\"0000:05:00.0\",type=\"BUS_ADDR\"} 2\n"
"p2pdma_pair_map_decisions_total{provider=\"0000:03:00.0\",client=\"0000:05:00.0\",type=\"THRU_HOST_BRIDGE\"} 0\n"
"p2pdma_pair_map_decisions_total{provider=\"0000:03:00.0\",client=\"0000:05:00.0\",type=\"NOT_SUPPORTED\"} 0\n"
"p2pdma_pair_map_decisions_total{provider=\"0000:03:00.0\",client=\"0000:00:04.0\",type=\"BUS_ADDR\"} 0\n"
"p2pdma_pair_map_decisions_total{provider=\"0000:03:00.0\",client=\"0000:00:04.0\",type=\"THRU_HOST_BRIDGE\"} 0\n"
"p2pdma_pair_map_decisions_total{provider=\"0000:03:00.0\",client=\"0000:00:04.0\",type=\"NOT_SUPPORTED\"} 4\n"
"# HELP p2pdma_pair_fallbacks_total Block requests of the pair refused for P2P.\n"
"# TYPE p2pdma_pair_fallbacks_total counter\n"
"p2pdma_pair_fallbacks_total{provider=\"0000:03:00.0\",client=\"0000:05:00.0\"} 0\n"
"p2pdma_pair_fallbacks_total{provider=\"0000:03:00.0\",client=\"0000:00:04.0\"} 2\n"
"# HELP p2pdma_pair_io_requests_total Block requests of the pair that completed peer-to-peer.\n"
"# TYPE p2pdma_pair_io_requests_total counter\n"
"p2pdma_pair_io_requests_total{provider=\"0000:03:00.0\",client=\"0000:05:00.0\"} 2\n"
"p2pdma_pair_io_requests_total{provider=\"0000:03:00.0\",client=\"0000:00:04.0\"} 0\n"
"# HELP p2pdma_pair_io_bytes_total Bytes the pair moved peer-to-peer.\n"
"# TYPE p2pdma_pair_io_bytes_total counter\n"
"p2pdma_pair_io_bytes_total{provider=\"0000:03:00.0\",client=\"0000:05:00.0\"} 131072\n"
"p2pdma_pair_io_bytes_total{provider=\"0000:03:00.0\",client=\"0000:00:04.0\"} 0\n"
"# HELP p2pdma_dma_faults_tracked 1 if p2ptop sees the IOMMU's DMA faults on this kernel, so p2pdma_dma_faults_total is exported, else 0.\n"
"# TYPE p2pdma_dma_faults_tracked gauge\n"
"p2pdma_dma_faults_tracked 1\n"
"# HELP p2pdma_dma_faults_total IOMMU faults on the provider's BARs by the client's DMA (a P2P transfer the IOMMU blocked, whatever the I/O reported), since p2ptop started (only where p2pdma_dma_faults_tracked is 1).\n"
"# TYPE p2pdma_dma_faults_total counter\n"
"p2pdma_dma_faults_total{provider=\"0000:03:00.0\",client=\"0000:05:00.0\"} 3\n"
"p2pdma_dma_faults_total{provider=\"0000:03:00.0\",client=\"0000:00:04.0\"} 0\n"
"# HELP p2pdma_io_latency_seconds Block I/O latency from the request's start (as the kernel's disk statistics take it) to completion since p2ptop started: a pair's P2P I/O by map type and op, and (map_type HOST, provider empty) the I/O through host memory of a disk that is a P2P client, such as the bounce of a refused request.\n"
"# TYPE p2pdma_io_latency_seconds histogram\n"
"p2pdma_io_latency_seconds_bucket{provider=\"0000:03:00.0\",client=\"0000:05:00.0\",map_type=\"BUS_ADDR\",op=\"read\",le=\"2e-06\"} 0\n"
"p2pdma_io_latency_seconds_bucket{provider=\"0000:03:00.0\",client=\"0000:05:00.0\",map_type=\"BUS_ADDR\",op=\"read\",le=\"4e-06\"} 0\n"
"p2pdma_io_latency_seconds_bucket{provider=\"0000:03:00.0\",client=\"0000:05:00.0\",map_type=\"BUS_ADDR\",op=\"read\",le=\"8e-06\"} 0\n"
"p2pdma_io_latency_seconds_bucket{provider=\"0000:03:00.0\",client=\"0000:05:00.0\",map_type=\"BUS_ADDR\",op=\"read\",le=\"1.6e-05\"} 0\n"
"p2pdma_io_latency_seconds_bucket{provider=\"0000:03:00.0\",client=\"0000:05:00.0\",map_type=\"BUS_ADDR\",op=\"read\",le=\"3.2e-05\"} 0\n"
"p2pdma_io_latency_seconds_bucket{provider=\"0000:03:00.0\",client=\"0000:05:00.0\",map_type=\"BUS_ADDR\",op=\"read\",le=\"6.4e-05\"} 0\n"
"p2pdma_io_latency_seconds_bucket{provider=\"0000:03:00.0\",client=\"0000:05:00.0\",map_type=\"BUS_ADDR\",op=\"read\",le=\"0.000128\"} 2\n"
"p2pdma_io_latency_seconds_bucket{provider=\"0000:03:00.0\",client=\"0000:05:00.0\",map_type=\"BUS_ADDR\",op=\"read\",le=\"0.000256\"} 2\n"
"p2pdma_io_latency_seconds_bucket{provider=\"0000:03:00.0\",client=\"0000:05:00.0\",map_type=\"BUS_ADDR\",op=\"read\",le=\"0.000512\"} 2\n"
"p2pdma_io_latency_seconds_bucket{provider=\"0000:03:00.0\",client=\"0000:05:00.0\",map_type=\"BUS_ADDR\",op=\"read\",le=\"0.001024\"} 2\n"
"p2pdma_io_latency_seconds_bucket{provider=\"0000:03:00.0\",client=\"0000:05:00.0\",map_type=\"BUS_ADDR\",op=\"read\",le=\"0.002048\"} 2\n"
"p2pdma_io_latency_seconds_bucket{provider=\"0000:03:00.0\",client=\"0000:05:00.0\",map_type=\"BUS_ADDR\",op=\"read\",le=\"0.004096\"} 2\n"
"p2pdma_io_latency_seconds_bucket{provider=\"0000:03:00.0\",client=\"0000:05:00.0\",map_type=\"BUS_ADDR\",op=\"read\",le=\"0.008192\"} 2\n"
"p2pdma_io_latency_seconds_bucket{provider=\"0000:03:00.0\",client=\"0000:05:00.0\",map_type=\"BUS_ADDR\",op=\"read\",le=\"0.016384\"} 2\n"
"p2pdma_io_latency_seconds_bucket{provider=\"0000:03:00.0\",client=\"0000:05:00.0\",map_type=\"BUS_ADDR\",op=\"read\",le=\"0.032768\"} 2\n"
"p2pdma_io_latency_seconds_bucket{provider=\"0000:03:00.0\",client=\"0000:05:00.0\",map_type=\"BUS_ADDR\",op=\"read\",le=\"0.065536\"} 2\n"
"p2pdma_io_latency_seconds_bucket{provider=\"0000:03:00.0\",client=\"0000:05:00.0\",map_type=\"BUS_ADDR\",op=\"read\",le=\"0.131072\"} 2\n"
"p2pdma_io_latency_seconds_bucket{provider=\"0000:03:00.0\",client=\"0000:05:00.0\",map_type=\"BUS_ADDR\",op=\"read\",le=\"0.262144\"} 2\n"
"p2pdma_io_latency_seconds_bucket{provider=\"0000:03:00.0\",client=\"0000:05:00.0\",map_type=\"BUS_ADDR\",op=\"read\",le=\"0.524288\"} 2\n"
"p2pdma_io_latency_seconds_bucket{provider=\"0000:03:00.0\",client=\"0000:05:00.0\",map_type=\"BUS_ADDR\",op=\"read\",le=\"1.048576\"} 2\n"
"p2pdma_io_latency_seconds_bucket{provider=\"0000:03:00.0\",client=\"0000:05:00.0\",map_type=\"BUS_ADDR\",op=\"read\",le=\"2.097152\"} 2\n"
"p2pdma_io_latency_seconds_bucket{provider=\"0000:03:00.0\",client=\"0000:05:00.0\",map_type=\"BUS_ADDR\",op=\"read\",le=\"4.194304\"} 2\n"
"p2pdma_io_latency_seconds_bucket{provider=\"0000:03:00.0\",client=\"0000:05:00.0\",map_type=\"BUS_ADDR\",op=\"read\",le=\"8.388608\"} 2\n"
"p2pdma_io_latency_seconds_bucket{provider=\"0000:03:00.0\",client=\"0000:05:00.0\",map_type=\"BUS_ADDR\",op=\"read\",le=\"16.777216\"} 2\n"
"p2pdma_io_latency_seconds_bucket{provider=\"0000:03:00.0\",client=\"0000:05:00.0\",map_type=\"BUS_ADDR\",op=\"read\",le=\"33.554432\"} 2\n"
"p2pdma_io_latency_seconds_bucket{provider=\"0000:03:00.0\",client=\"0000:05:00.0\",map_type=\"BUS_ADDR\",op=\"read\",le=\"67.108864\"} 2\n"
"p2pdma_io_latency_seconds_bucket{provider=\"0000:03:00.0\",client=\"0000:05:00.0\",map_type=\"BUS_ADDR\",op=\"read\",le=\"+Inf\"} 3\n"
"p2pdma_io_latency_seconds_sum{provider=\"0000:03:00.0\",client=\"0000:05:00.0\",map_type=\"BUS_ADDR\",op=\"read\"} 90.000000250\n"
"p2pdma_io_latency_seconds_count{provider=\"0000:03:00.0\",client=\"0000:05:00.0\",map_type=\"BUS_ADDR\",op=\"read\"} 3\n"
"p2pdma_io_latency_seconds_bucket{provider=\"\",client=\"0000:05:00.0\",map_type=\"HOST\",op=\"write\",le=\"2e-06\"} 1\n"
"p2pdma_io_latency_seconds_bucket{provider=\"\",client=\"0000:05:00.0\",map_type=\"HOST\",op=\"write\",le=\"4e-06\"} 1\n"
"p2pdma_io_latency_seconds_bucket{provider=\"\",client=\"0000:05:00.0\",map_type=\"HOST\",op=\"write\",le=\"8e-06\"} 1\n"
"p2pdma_io_latency_seconds_bucket{provider=\"\",client=\"0000:05:00.0\",map_type=\"HOST\",op=\"write\",le=\"1.6e-05\"} 1\n"
"p2pdma_io_latency_seconds_bucket{provider=\"\",client=\"0000:05:00.0\",map_type=\"HOST\",op=\"write\",le=\"3.2e-05\"} 1\n"
"p2pdma_io_latency_seconds_bucket{provider=\"\",client=\"0000:05:00.0\",map_type=\"HOST\",op=\"write\",le=\"6.4e-05\"} 1\n"
"p2pdma_io_latency_seconds_bucket{provider=\"\",client=\"0000:05:00.0\",map_type=\"HOST\",op=\"write\",le=\"0.000128\"} 1\n"
"p2pdma_io_latency_seconds_bucket{provider=\"\",client=\"0000:05:00.0\",map_type=\"HOST\",op=\"write\",le=\"0.000256\"} 1\n"
"p2pdma_io_latency_seconds_bucket{provider=\"\",client=\"0000:05:00.0\",map_type=\"HOST\",op=\"write\",le=\"0.000512\"} 1\n"
"p2pdma_io_latency_seconds_bucket{provider=\"\",client=\"0000:05:00.0\",map_type=\"HOST\",op=\"write\",le=\"0.001024\"} 1\n"
"p2pdma_io_latency_seconds_bucket{provider=\"\",client=\"0000:05:00.0\",map_type=\"HOST\",op=\"write\",le=\"0.002048\"} 1\n"
"p2pdma_io_latency_seconds_bucket{provider=\"\",client=\"0000:05:00.0\",map_type=\"HOST\",op=\"write\",le=\"0.004096\"} 1\n"
"p2pdma_io_latency_seconds_bucket{provider=\"\",client=\"0000:05:00.0\",map_type=\"HOST\",op=\"write\",le=\"0.008192\"} 1\n"
"p2pdma_io_latency_seconds_bucket{provider=\"\",client=\"0000:05:00.0\",map_type=\"HOST\",op=\"write\",le=\"0.016384\"} 1\n"
"p2pdma_io_latency_seconds_bucket{provider=\"\",client=\"0000:05:00.0\",map_type=\"HOST\",op=\"write\",le=\"0.032768\"} 1\n"
"p2pdma_io_latency_seconds_bucket{provider=\"\",client=\"0000:05:00.0\",map_type=\"HOST\",op=\"write\",le=\"0.065536\"} 1\n"
"p2pdma_io_latency_seconds_bucket{provider=\"\",client=\"0000:05:00.0\",map_type=\"HOST\",op=\"write\",le=\"0.131072\"} 1\n"
"p2pdma_io_latency_seconds_bucket{provider=\"\",client=\"0000:05:00.0\",map_type=\"HOST\",op=\"write\",le=\"0.262144\"} 1\n"
"p2pdma_io_latency_seconds_bucket{provider=\"\",client=\"0000:05:00.0\",map_type=\"HOST\",op=\"write\",le=\"0.524288\"} 1\n"
"p2pdma_io_latency_seconds_bucket{provider=\"\",client=\"0000:05:00.0\",map_type=\"HOST\",op=\"write\",le=\"1.048576\"} 1\n"
"p2pdma_io_latency_seconds_bucket{provider=\"\",client=\"0000:05:00.0\",map_type=\"HOST\",op=\"write\",le=\"2.097152\"} 1\n"
"p2pdma_io_latency_seconds_bucket{provider=\"\",client=\"0000:05:00.0\",map_type=\"HOST\",op=\"write\",le=\"4.194304\"} 1\n"
"p2pdma_io_latency_seconds_bucket{provider=\"\",client=\"0000:05:00.0\",map_type=\"HOST\",op=\"write\",le=\"8.388608\"} 1\n"
"p2pdma_io_latency_seconds_bucket{provider=\"\",client=\"0000:05:00.0\",map_type=\"HOST\",op=\"write\",le=\"16.777216\"} 1\n"
"p2pdma_io_latency_seconds_bucket{provider=\"\",client=\"0000:05:00.0\",map_type=\"HOST\",op=\"write\",le=\"33.554432\"} 1\n"
"p2pdma_io_latency_seconds_bucket{provider=\"\",client=\"0000:05:00.0\",map_type=\"HOST\",op=\"write\",le=\"67.108864\"} 1\n"
"p2pdma_io_latency_seconds_bucket{provider=\"\",client=\"0000:05:00.0\",map_type=\"HOST\",op=\"write\",le=\"+Inf\"} 1\n"
"p2pdma_io_latency_seconds_sum{provider=\"\",client=\"0000:05:00.0\",map_type=\"HOST\",op=\"write\"} 0.000001500\n"
"p2pdma_io_latency_seconds_count{provider=\"\",client=\"0000:05:00.0\",map_type=\"HOST\",op=\"write\"} 1\n"
"# HELP p2pdma_held_tracked 1 if the kernel lets p2ptop follow every mapping, so p2pdma_live_mappings and p2pdma_held_bytes are exported, else 0.\n"
"# TYPE p2pdma_held_tracked gauge\n"
"p2pdma_held_tracked 1\n"
"# HELP p2pdma_lost_total Records the BPF side could not keep since p2ptop started, by table; the numbers above miss them.\n"
"# TYPE p2pdma_lost_total counter\n"
"p2pdma_lost_total{table=\"maps\"} 0\n"
"p2pdma_lost_total{table=\"ios\"} 0\n"
"p2pdma_lost_total{table=\"pids\"} 0\n"
"p2pdma_lost_total{table=\"pairs\"} 0\n"
"p2pdma_lost_total{table=\"providers\"} 0\n"
"p2pdma_lost_total{table=\"names\"} 1\n"
"p2pdma_lost_total{table=\"nested\"} 0\n"
"p2pdma_lost_total{table=\"iommu\"} 0\n"
"p2pdma_lost_total{table=\"dmafaults\"} 0\n"
"p2pdma_lost_total{table=\"hists\"} 0\n"
"# HELP p2pdma_complete 1 if every table was read and nothing was lost, else 0.\n"
"# TYPE p2pdma_complete gauge\n"
"p2pdma_complete 0\n"
"# EOF\n";

static char *render(const struct top_model *model)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	metrics_write(model, f);
	fclose(f);
	return buf;
}

static char *label(const char *s, size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	metrics_label_value(f, s, n);
	fclose(f);
	return buf;
}

/* the lines of text that start with prefix, joined */
static char *lines_with(const char *text, const char *prefix)
{
	char *out = calloc(1, strlen(text) + 1), *o = out;
	const char *l = text;

	while (*l) {
		const char *e = strchr(l, '\n');
		size_t n = e ? (size_t)(e - l + 1) : strlen(l);

		if (!strncmp(l, prefix, strlen(prefix))) {
			memcpy(o, l, n);
			o += n;
		}
		l += n;
	}
	return out;
}

static char *slurp(const char *path)
{
	static char buf[1 << 16];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fclose(f);
	return buf;
}

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	while (d && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	if (d)
		closedir(d);
	return n;
}

static void test_escaping(void)
{
	char *s;

	CHECK_STR(s = label("0000:03:00.0", 16), "\"0000:03:00.0\""); free(s);
	CHECK_STR(s = label("a\\b\"c\nd", 16), "\"a\\\\b\\\"c\\nd\""); free(s);
	/* tabs and other controls are valid in a label value: kept */
	CHECK_STR(s = label("t\tr\r", 16), "\"t\tr\r\""); free(s);
	/* not UTF-8: a lone continuation, overlong '/', a surrogate, beyond U+10FFFF */
	CHECK_STR(s = label("\x80", 16), "\"\\\\x80\""); free(s);
	CHECK_STR(s = label("\xc0\xaf", 16), "\"\\\\xc0\\\\xaf\""); free(s);
	CHECK_STR(s = label("\xed\xa0\x80", 16), "\"\\\\xed\\\\xa0\\\\x80\""); free(s);
	CHECK_STR(s = label("\xf4\x90\x80\x80", 16), "\"\\\\xf4\\\\x90\\\\x80\\\\x80\""); free(s);
	/* valid multibyte kept, also at the very end of a full buffer */
	CHECK_STR(s = label("\xf0\x9f\x98\x80", 4), "\"\xf0\x9f\x98\x80\""); free(s);
	/* a sequence cut by the buffer's end is not UTF-8 */
	CHECK_STR(s = label("ab\xc3\xa9", 3), "\"ab\\\\xc3\""); free(s);
	/* a name that fills its buffer has no NUL: the length bounds it */
	CHECK_STR(s = label("0123456789abcdefXYZ", 16), "\"0123456789abcdef\""); free(s);
	CHECK_STR(s = label("", 16), "\"\""); free(s);
}

static void test_full(void)
{
	char *got;

	fake_model();
	got = render(&m);
	CHECK_STR(got, want_full);
	free(got);
}

static void test_untracked(void)
{
	char *got, *samples;

	fake_model();
	m.live_tracked = false;
	m.lost.n[P2P_LOST_NAMES] = 0;
	got = render(&m);
	/* no sample, but the family is still described */
	CHECK_STR(samples = lines_with(got, "p2pdma_live_mappings"), ""); free(samples);
	CHECK_STR(samples = lines_with(got, "p2pdma_held_bytes"), ""); free(samples);
	CHECK(strstr(got, "# TYPE p2pdma_live_mappings gauge\n") != NULL);
	CHECK_STR(samples = lines_with(got, "p2pdma_held_tracked"), "p2pdma_held_tracked 0\n");
	free(samples);
	CHECK_STR(samples = lines_with(got, "p2pdma_complete"), "p2pdma_complete 1\n"); free(samples);
	free(got);

	/* a table that could not be read is not complete either */
	m.incomplete = true;
	got = render(&m);
	CHECK_STR(samples = lines_with(got, "p2pdma_complete"), "p2pdma_complete 0\n"); free(samples);
	free(got);
}

static void test_empty(void)
{
	char *got, *samples;
	const char *l;

	memset(&m, 0, sizeof(m));
	got = render(&m);
	/* every family described, only the global ones with samples */
	CHECK_STR(samples = lines_with(got, "p2pdma_"),
		  "p2pdma_dma_faults_tracked 0\n"
		  "p2pdma_held_tracked 0\n"
		  "p2pdma_lost_total{table=\"maps\"} 0\n"
		  "p2pdma_lost_total{table=\"ios\"} 0\n"
		  "p2pdma_lost_total{table=\"pids\"} 0\n"
		  "p2pdma_lost_total{table=\"pairs\"} 0\n"
		  "p2pdma_lost_total{table=\"providers\"} 0\n"
		  "p2pdma_lost_total{table=\"names\"} 0\n"
		  "p2pdma_lost_total{table=\"nested\"} 0\n"
		  "p2pdma_lost_total{table=\"iommu\"} 0\n"
		  "p2pdma_lost_total{table=\"dmafaults\"} 0\n"
		  "p2pdma_lost_total{table=\"hists\"} 0\n"
		  "p2pdma_complete 1\n");
	free(samples);
	l = strstr(got, "# EOF\n");
	CHECK(l && l[6] == 0);
	free(got);
}

static void test_textfile(void)
{
	char dir[] = "/tmp/p2pscope-metrics.XXXXXX", path[256], *want;
	struct stat st;
	pid_t child;
	int status;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/p2pdma.prom", dir);
	fake_model();
	want = render(&m);

	/* a child writes twice and exits: the file is its last report, then gone */
	fflush(NULL);
	child = fork();
	if (!child) {
		int a = metrics_textfile(&m, dir);

		m.prov[0].now.fallbacks = 7;
		if (a || metrics_textfile(&m, dir) || count_entries(dir) != 1 ||
		    stat(path, &st) || (st.st_mode & 0777) != 0644 || !slurp(path) ||
		    !strstr(slurp(path), "p2pdma_fallbacks_total{provider=\"0000:03:00.0\"} 7\n"))
			_exit(3);
		/* without a directory the report goes to the stream */
		exit(metrics_report(&m, NULL, fopen("/dev/null", "w")) ? 4 : 0);
	}
	CHECK(waitpid(child, &status, 0) == child);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK(count_entries(dir) == 0);

	/* what the file holds is the exposition, exactly */
	child = fork();
	if (!child) {
		char *got;

		if (metrics_textfile(&m, dir) || !(got = slurp(path)))
			_exit(3);
		exit(strcmp(got, want) ? 5 : 0);
	}
	CHECK(waitpid(child, &status, 0) == child);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	/* a directory that is not there: an error, and nothing left behind */
	snprintf(path, sizeof(path), "%s/missing", dir);
	CHECK(metrics_textfile(&m, path) == -ENOENT);
	CHECK(count_entries(dir) == 0);
	CHECK(rmdir(dir) == 0);
	free(want);
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "--print")) {
		fake_model();
		metrics_write(&m, stdout);
		return 0;
	}
	test_escaping();
	test_full();
	test_untracked();
	test_empty();
	test_textfile();
	return unit_done("metrics");
}
