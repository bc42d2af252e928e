# p2pscope: observability and tests for Linux PCI peer-to-peer DMA.
# See README.md. Everything built lands in build/; the kernel is cached
# outside the tree by kernel/build.

CC      ?= cc
CLANG   ?= clang
CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu11 -Wall -Wextra -Wshadow -Wno-missing-field-initializers
CPPFLAGS += -Iinclude -Itools -I$(B)
BPFTOOL ?= bpftool
B       := build
ARCH    := $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')

TOOLS     := p2ptrace p2ptop p2pio
TOOL_BINS := $(addprefix $(B)/,$(TOOLS))
COMMON    := $(B)/common.o $(B)/trace_fmt.o $(B)/top_data.o
CURSES    := $(shell pkg-config --libs ncurses 2>/dev/null || echo -lncurses)
LIBS      := -lbpf -lelf -lz -lcap
UNIT_BINS := $(patsubst tests/unit/%.c,$(B)/unit/%,$(wildcard tests/unit/*.c))
LAB_BINS  := $(B)/p2pcheck

.PHONY: all deps kernel check demo bench clean
.DELETE_ON_ERROR:

all: $(TOOL_BINS) $(LAB_BINS) $(UNIT_BINS)

# One BPF object for every tool; its skeleton is generated, never edited.
$(B)/p2pscope.bpf.o: bpf/p2pscope.bpf.c include/p2pscope.h vmlinux.h | $(B)
	$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Iinclude -I. -c $< -o $@

$(B)/p2pscope.skel.h: $(B)/p2pscope.bpf.o
	$(BPFTOOL) gen skeleton $< name p2pscope_bpf >$@

$(B)/%.o: tools/%.c tools/common.h tools/trace_fmt.h tools/top_data.h include/p2pscope.h | $(B)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(B)/p2ptrace.o $(B)/p2ptop.o: $(B)/p2pscope.skel.h

$(B)/p2ptrace: $(B)/p2ptrace.o $(COMMON)
	$(CC) $(CFLAGS) -o $@ $^ $(LIBS)

$(B)/p2ptop: $(B)/p2ptop.o $(COMMON)
	$(CC) $(CFLAGS) -o $@ $^ $(LIBS) $(CURSES)

$(B)/p2pio: $(B)/p2pio.o $(COMMON)
	$(CC) $(CFLAGS) -o $@ $^ $(LIBS) -luring -lpthread

$(B)/p2pcheck: tests/vm/p2pcheck.c | $(B)
	$(CC) $(CFLAGS) -o $@ $<

# Unit tests link the shared helpers, never BPF.
$(B)/unit/%: tests/unit/%.c $(COMMON) | $(B)/unit
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $^ $(LIBS)

$(B) $(B)/unit:
	mkdir -p $@

# The lab kernel: Debian's linux-source-6.12 + kernel/patches + the config
# fragment, cached by content hash (prints the cache directory).
kernel:
	kernel/build

# Regenerate the committed vmlinux.h from the lab kernel's BTF, only when
# asked for by name: builds use the committed file.
ifneq ($(filter vmlinux.h,$(MAKECMDGOALS)),)
.PHONY: vmlinux.h
endif
vmlinux.h:
	kdir=$$(kernel/build) && $(BPFTOOL) btf dump file $$kdir/vmlinux format c >$@.tmp
	mv $@.tmp $@

# The Debian packages everything needs; the front door runs it first, so a
# fresh machine needs nothing else.
deps:
	scripts/deps

check: deps
	$(MAKE) all
	tests/check

demo: deps
	$(MAKE) all
	tests/vm/run -- bash tests/vm/demo.sh

# The overhead benchmark, in the lab; results also go to bench/results.txt.
$(B)/baseline.bpf.o: bench/baseline.bpf.c vmlinux.h | $(B)
	$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -I. -c $< -o $@

$(B)/baseline.skel.h: $(B)/baseline.bpf.o
	$(BPFTOOL) gen skeleton $< name baseline_bpf >$@

$(B)/baseline: bench/baseline.c $(B)/baseline.skel.h
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< -lbpf -lelf -lz

bench: deps
	$(MAKE) all $(B)/baseline
	$(MAKE) bench-run

.PHONY: bench-run
bench-run:
	{ echo "host: $$(nproc) cores, $$(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n1)"; } >$(B)/bench-host.txt
	tests/vm/run -- bash bench/run.sh | tee bench/results.txt

clean:
	rm -rf $(B)
