# p2pscope: observability and tests for Linux PCI peer-to-peer DMA.
# See README.md. Everything built lands in build/; the kernel is cached
# outside the tree by kernel/build.

CC      ?= cc
CLANG   ?= clang
CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu11 -Wall -Wextra -Wshadow -Wno-missing-field-initializers
CPPFLAGS += -Iinclude -Itools/lib -Itools/trace -Itools/top -I$(B) -MMD -MP
BPFTOOL ?= bpftool
B       := build
ARCH    := $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')

TOOLS     := p2ptrace p2ptop p2pio p2pdoctor
TOOL_BINS := $(addprefix $(B)/,$(TOOLS))
CURSES    := $(shell pkg-config --libs ncursesw 2>/dev/null || echo -lncursesw)
BPF_LIBS  := -lbpf -lelf -lz -lcap

# One home per job (see tools/README.md); each binary links what it uses.
LIB       := $(addprefix $(B)/lib/,args.o sysfs.o names.o json.o hist.o)
BPF_SETUP := $(B)/lib/bpf_setup.o
TRACE     := $(B)/trace/fmt.o
TOP       := $(addprefix $(B)/top/,model.o table.o metrics.o)
# The PCI topology walk (the only libpci user), the kernel's map-type rules
# and host-bridge allowlist on top of it: p2pdoctor, and p2ptop's reasons.
# Kernel readiness (config, BTF, kallsyms): p2pdoctor.
PCI_CFLAGS := $(shell pkg-config --cflags libpci 2>/dev/null)
PCI_LIBS   := $(shell pkg-config --libs libpci 2>/dev/null || echo -lpci)
TOPOLOGY  := $(B)/lib/topology.o
MAPTYPE   := $(B)/lib/maptype.o $(B)/lib/allowlist.o $(TOPOLOGY)
READINESS := $(B)/lib/readiness.o
# IOMMU faults and rules, no libpci or libbpf: p2pdoctor; p2ptrace and p2ptop
# (through bpf_setup) for the providers' BARs
IOMMU     := $(B)/lib/iommu.o
UNIT_BINS := $(patsubst tests/unit/%.c,$(B)/unit/%,$(wildcard tests/unit/*.c))
LAB_BINS  := $(B)/p2pcheck

.PHONY: all tools deps kernel check demo bench clean install uninstall deb
.DELETE_ON_ERROR:

all: $(TOOL_BINS) $(LAB_BINS) $(UNIT_BINS)

# just what is installed (the Debian package builds this)
tools: $(TOOL_BINS)

# The BPF programs, one file per concern, linked into one object whose
# skeleton every BPF tool uses; the skeleton is generated, never edited.
BPF_SRCS := $(wildcard bpf/*.bpf.c)
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(B)/bpf/%.bpf.o,$(BPF_SRCS))

# The object's line info names its sources: relative to the tree, so the
# tools (which embed it) are the same wherever the tree was built.
$(B)/bpf/%.bpf.o: bpf/%.bpf.c bpf/p2pscope.bpf.h include/p2pscope.h vmlinux.h | $(B)/bpf
	$(CLANG) -g -O2 -Wall -target bpf -D__TARGET_ARCH_$(ARCH) -fdebug-prefix-map=$(CURDIR)=. \
		-Iinclude -I. -c $< -o $@

$(B)/p2pscope.bpf.o: $(BPF_OBJS)
	$(BPFTOOL) gen object $@ $^

$(B)/p2pscope.skel.h: $(B)/p2pscope.bpf.o
	$(BPFTOOL) gen skeleton $< name p2pscope_bpf >$@

$(B)/%.o: tools/%.c | $(B)/lib $(B)/trace $(B)/top
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(B)/p2ptrace.o $(B)/p2ptop.o $(BPF_SETUP): $(B)/p2pscope.skel.h

$(B)/p2ptrace: $(B)/p2ptrace.o $(TRACE) $(BPF_SETUP) $(IOMMU) $(LIB)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(BPF_LIBS)

$(B)/p2ptop: $(B)/p2ptop.o $(B)/top/view.o $(TOP) $(MAPTYPE) $(BPF_SETUP) $(IOMMU) $(LIB)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(BPF_LIBS) $(CURSES) $(PCI_LIBS) -lm

$(TOPOLOGY): CPPFLAGS += $(PCI_CFLAGS)

$(B)/p2pdoctor: $(B)/p2pdoctor.o $(MAPTYPE) $(READINESS) $(IOMMU) $(LIB)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(PCI_LIBS) -lz

$(B)/p2pio: $(B)/p2pio.o $(LIB)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ -luring -lpthread

$(B)/p2pcheck: tests/vm/p2pcheck.c | $(B)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< -lpthread

# Unit tests link the host-side code they test, never BPF or curses.
$(B)/unit/trace_fmt: $(TRACE) $(IOMMU)
$(B)/unit/top: $(TOP)
$(B)/unit/metrics: $(TOP)
$(B)/unit/topo: $(MAPTYPE) $(READINESS)
$(B)/unit/topo: LDLIBS += $(PCI_LIBS) -lz
$(B)/unit/iommu: $(IOMMU)
$(B)/unit/%: tests/unit/%.c $(LIB) | $(B)/unit
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $(filter %.c %.o,$^) $(LDLIBS) -lm

$(B) $(B)/unit $(B)/bpf $(B)/lib $(B)/trace $(B)/top:
	mkdir -p $@

-include $(shell find $(B) -name '*.d' -type f 2>/dev/null)

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

# The overhead benchmark, in the lab; the report goes to bench/results.txt
# and its figures to bench/results.json.
$(B)/baseline.bpf.o: bench/baseline.bpf.c include/p2pscope.h vmlinux.h | $(B)
	$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Iinclude -I. -c $< -o $@

$(B)/baseline.skel.h: $(B)/baseline.bpf.o
	$(BPFTOOL) gen skeleton $< name baseline_bpf >$@

$(B)/baseline: bench/baseline.c $(B)/baseline.skel.h
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< -lbpf -lelf -lz

bench: deps
	$(MAKE) all $(B)/baseline
	bench/fetch-biosnoop $(B)/biosnoop
	$(MAKE) bench-run

.PHONY: bench-run
bench-run:
	{ echo "host: $$(nproc) cores, $$(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n1)"; } >$(B)/bench-host.txt
	tests/vm/run -- bash bench/run.sh | tee $(B)/bench.out
	grep -v '^RESULTS_JSON ' $(B)/bench.out >bench/results.txt
	sed -n 's/^RESULTS_JSON //p' $(B)/bench.out | jq . >bench/results.json

# Where "make install" puts the tools, their man pages and the metrics
# service (systemd reads units from /usr/local/lib/systemd/system too);
# scripts/install records what it wrote, so uninstall removes just that.
PREFIX  ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
MANDIR  ?= $(PREFIX)/share/man
UNITDIR ?= $(PREFIX)/lib/systemd/system
MANIFEST ?= $(PREFIX)/share/p2pscope/installed
INSTALL_ENV = DESTDIR="$(DESTDIR)" PREFIX="$(PREFIX)" SBINDIR="$(SBINDIR)" \
	MANDIR="$(MANDIR)" UNITDIR="$(UNITDIR)" MANIFEST="$(MANIFEST)" TOOLS="$(TOOLS)"

install: $(TOOL_BINS)
	$(INSTALL_ENV) scripts/install install

uninstall:
	$(INSTALL_ENV) scripts/install uninstall

# The Debian package, built by dpkg-buildpackage from debian/ in a copy of
# the tree: build/p2pscope_*.deb, .buildinfo and .changes.
deb:
	scripts/deb

# debian/'s leftovers are those of a dpkg-buildpackage run in the tree
clean:
	rm -rf $(B) debian/p2pscope debian/p2pscope-dbgsym debian/.debhelper \
		debian/debhelper-build-stamp debian/files debian/*.substvars \
		debian/*.debhelper.log
