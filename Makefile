# p2pscope: observability and tests for Linux PCI peer-to-peer DMA.
# See README.md. Everything built lands in build/; the kernel is cached
# outside the tree by kernel/build.

CC      ?= cc
CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu11 -Wall -Wextra -Wshadow -Wno-missing-field-initializers
BPFTOOL ?= bpftool
B       := build

UNIT_BINS := $(patsubst tests/unit/%.c,$(B)/unit/%,$(wildcard tests/unit/*.c))
LAB_BINS  := $(B)/p2pcheck

.PHONY: all kernel check demo clean
.DELETE_ON_ERROR:

all: $(LAB_BINS) $(UNIT_BINS)

$(B)/p2pcheck: tests/vm/p2pcheck.c | $(B)
	$(CC) $(CFLAGS) -o $@ $<

$(B)/unit/%: tests/unit/%.c | $(B)/unit
	$(CC) $(CFLAGS) -o $@ $^

$(B) $(B)/unit:
	mkdir -p $@

# The lab kernel: Debian's linux-source-6.12 + kernel/patches + the config
# fragment, cached by content hash (prints the cache directory).
kernel:
	kernel/build

# Regenerate the committed vmlinux.h from the lab kernel's BTF.
vmlinux.h:
	kdir=$$(kernel/build) && $(BPFTOOL) btf dump file $$kdir/vmlinux format c >$@.tmp
	mv $@.tmp $@
.PHONY: vmlinux.h

check: all
	tests/check

demo: all
	tests/vm/run -- bash tests/vm/demo.sh

clean:
	rm -rf $(B)
