# rnsbox: one static C program. `make` (GNU make) builds ./rnsbox with musl; see README.
.SUFFIXES:

# musl-gcc -static by default; `make CC=gcc` or `make CC=clang` build a dynamic binary
# against the system libc (for sanitizers).
ifeq ($(origin CC),default)
CC = musl-gcc
endif
# The static builds are not position-independent: no GOT, and pointer tables stay in
# .rodata (2 to 6 KiB less, by architecture). A common page size of 64 lets ld pack the
# data segment right after the text in the file (aarch64's ld page-aligned it: 4 KiB more).
STATIC_FLAGS = -static -fno-pie -no-pie -Wl,-z,common-page-size=64
STATIC = $(if $(findstring musl,$(CC)),$(STATIC_FLAGS),)

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
VERSION := 0.1.0$(shell git rev-parse --short HEAD >/dev/null 2>&1 && echo +g$$(git rev-parse --short HEAD))

WARN = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
       -Wformat=2 -Wformat-nonliteral -Wswitch-default -Wundef -Wcast-align \
       -Werror=implicit-function-declaration -Wno-unused-parameter
OPT = -Oz -ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables \
      -fno-unwind-tables -fno-ident -fno-jump-tables
# gcc's alone (the static builds; check-cc builds with clang too): -fipa-pta, no inlining
# of small functions, no IPA-SRA, no loop-invariant motion, with OPT's -fno-jump-tables
# 0.5 KiB less on x86_64 and riscv64, 0.4 on aarch64 (rnsbox's time goes to system
# calls, not to calls). On x86_64 and aarch64 also no vector registers (rnsbox has no
# floating point; gcc used them to copy and clear structs): 0.7 KiB on x86_64, for the
# native build where it is one of those (NATIVE_OPT), and rnsbox-aarch64.
# Then fewer of the optimisations that trade size for speed, chosen for each target by a
# greedy search over gcc 12's -fno- flags (each kept only if it made that target smaller),
# with the three every target took common: x86_64 -2,240 bytes, aarch64 -1,160, armhf
# -1,096, riscv64 -2,704 (2026-12-07). aarch64 also without frame pointers (Debian's gcc
# keeps them there; the others omit them already): -1,472. riscv64 also with every object
# up to 4 KiB in small data, which the linker relaxes to gp-relative where in reach: -280.
# On riscv64 and armhf no function called once is inlined into its caller (riscv64: -6,392
# bytes, 2026-12-07; the big frames of merged functions put locals out of reach of the
# compressed loads and stores; armhf -192; on aarch64 it costs 4 KiB, on x86_64 0.6 KiB).
GCC_OPT = -fipa-pta -fno-inline-small-functions -fno-ipa-sra -fno-tree-loop-im \
	  -fno-expensive-optimizations -fno-tree-tail-merge -fno-tree-loop-ivcanon
X86_64_OPT = -mgeneral-regs-only -fno-tree-dominator-opts -fno-caller-saves -fno-move-loop-invariants \
	     -fno-if-conversion -fconserve-stack -fno-tree-forwprop -fno-code-hoisting -fno-shrink-wrap \
	     -fno-tree-copy-prop -fno-tree-fre -fno-forward-propagate
AARCH64_OPT = -mgeneral-regs-only -fno-caller-saves -fno-move-loop-invariants -fno-shrink-wrap \
	      -fno-tree-copy-prop -fno-tree-sra -fomit-frame-pointer
ARMHF_OPT = -fno-move-loop-invariants -fno-if-conversion -fconserve-stack -fno-inline-functions-called-once
RISCV64_OPT = -fno-caller-saves -fno-tree-forwprop -fno-shrink-wrap -fno-tree-copy-prop -fno-tree-fre \
	      -fno-tree-dse -msmall-data-limit=4096 -fno-inline-functions-called-once
NATIVE_ARCH := $(shell uname -m)
NATIVE_OPT = $(if $(filter x86_64,$(NATIVE_ARCH)),$(X86_64_OPT),$(if $(filter aarch64,$(NATIVE_ARCH)),$(AARCH64_OPT)))
CFLAGS ?= $(OPT)
ALL_CFLAGS = -std=gnu11 $(WARN) $(CFLAGS) -DRNSBOX_VERSION='"$(VERSION)"'
# noseparate-code: one text segment instead of page-aligned separate ones saves 8 KiB.
# norelro: up to a page of padding saved; a static musl binary applies no RELRO anyway.
LDFLAGS ?= -Wl,--gc-sections -Wl,--build-id=none -Wl,-z,noseparate-code -Wl,-z,norelro -s
SHELL_FILES = test.sh .ci/run $(wildcard tests/*.sh bench/*.sh)

all: rnsbox

# After strip, what follows the last byte a program header loads goes too: the section
# headers, their names and .comment (about 1 KiB), which nothing reads at run time; the
# kernel loads an ELF file by its program headers alone. This is what OpenWrt's sstrip
# does to what it ships. The ELF header then says there are no section headers. Every
# target rnsbox ships for is little-endian; od reads the host's order, little-endian too.
define SSTRIP
f=$@; if [ "$$(od -An -tu1 -j4 -N1 $$f | tr -d ' ')" = 2 ]; then w=8 po=32 pe=54 oo=8 fo=32 so=40 sn=60; \
else w=4 po=28 pe=42 oo=4 fo=16 so=32 sn=48; fi; \
rd() { od -An -tu$$2 -j$$1 -N$$2 $$f | tr -d ' '; }; \
ph=$$(rd $$po $$w) ent=$$(rd $$pe 2) num=$$(rd $$((pe + 2)) 2) end=0 i=0; \
while [ $$i -lt $$num ]; do b=$$((ph + i * ent)); e=$$(($$(rd $$((b + oo)) $$w) + $$(rd $$((b + fo)) $$w))); \
[ $$e -gt $$end ] && end=$$e; i=$$((i + 1)); done; \
dd if=/dev/zero of=$$f bs=1 seek=$$so count=$$w conv=notrunc 2>/dev/null && \
dd if=/dev/zero of=$$f bs=1 seek=$$sn count=4 conv=notrunc 2>/dev/null && truncate -s $$end $$f
endef

# Debian builds musl for speed: each of its functions is 16-byte aligned, about 1 KiB of
# padding in rnsbox (x86_64 -1,024 bytes without it, aarch64 -904; armhf's and riscv64's
# musl align to 4 and 2 already). So the static builds link a copy
# of its libc.a, made at link time and then removed, in which those sections are aligned
# only as the instruction set needs (PACK_ALIGN: 1 on x86_64, else 4); nothing but the
# addresses changes. Where no copy can be made, musl is linked as it is. LINK's $(1): the
# compiler and flags; $(2): musl's libc.a (none: not static); $(3): binutils' prefix.
define LINK
@pl=; if [ -n "$(2)" ] && [ -r "$(2)" ] && pl=$$(mktemp); then $(3)objcopy $$($(3)objdump -h $(2) | \
	awk '$$2 ~ /^\.text/ && $$NF == "2**4" {print "--set-section-alignment=" $$2 "=$(PACK_ALIGN)"}' | sort -u) \
	$(2) $$pl 2>/dev/null || { rm -f $$pl; pl=; }; fi; \
$(if $(findstring s,$(firstword -$(MAKEFLAGS))),,echo "$(1) -o $@ rnsbox.c $${pl:+[musl packed] }$(LDFLAGS)";) \
$(1) -o $@ rnsbox.c $$pl $(LDFLAGS); rc=$$?; [ -z "$$pl" ] || rm -f $$pl; exit $$rc
endef
NATIVE_LIBC = $(if $(STATIC),$(wildcard /usr/lib/$(NATIVE_ARCH)-linux-musl/libc.a))
PACK_ALIGN = $(if $(filter x86_64,$(NATIVE_ARCH)),1,4)

rnsbox: rnsbox.c Makefile
	$(call LINK,$(CC) $(ALL_CFLAGS) $(GCC_OPT) $(NATIVE_OPT) $(STATIC),$(NATIVE_LIBC),)
	@$(if $(STATIC),$(SSTRIP))

# rnsbox.1, the manual page, made from README (its sections from Conventions up to
# Performance, each subcommand's synopsis first), so the two cannot drift apart: an
# underlined heading becomes .SH, an indented block literal text, a "- " line a bullet;
# backslashes, hyphens (for copying options) and leading dots are escaped. POSIX awk.
rnsbox.1: README Makefile
	@echo "awk: rnsbox.1 from README"
	@awk -v ver='$(VERSION)' -v date="$$(date -u -r README +%Y-%m-%d)" 'function esc(s) { \
		gsub(/\\/, "\\e", s); gsub(/-/, "\\-", s); if (s ~ /^[.\047]/) s = "\\&" s; return s } \
	BEGIN { while ((getline l <"README") > 0) L[++n] = l; \
		for (i = 1; i < n; i++) if (L[i] ~ /^rnsbox [a-z]/ && L[i + 1] ~ /^--/) \
			for (j = i + 3; L[j] ~ /^    [a-z]/; j++) syn = syn esc(substr(L[j], 5)) "\n"; \
		print ".TH RNSBOX 1 \"" date "\" \"rnsbox " ver "\" \"User Commands\""; \
		print ".SH NAME\nrnsbox \\- namespace toolbox: detect, exec (unshare), nsenter, newns, userns\\-handle"; \
		printf ".SH SYNOPSIS\n.nf\n%s.fi\n", syn; \
		for (i = 1; i <= n && L[i] != "Conventions"; i++); \
		for (; i <= n && L[i] != "Performance"; i++) { \
			if (L[i + 1] ~ /^--+$$/) { lit = item = 0; print ".SH " toupper(esc(L[i++])); continue } \
			if (L[i] == "" && lit && L[i + 1] ~ /^    /) { print ""; continue } \
			if (lit && L[i] !~ /^    /) { print ".fi\n.RE"; lit = 0 } \
			if (L[i] == "") { item = 0; para = 1; continue } \
			if (L[i] ~ /^    /) { if (!lit) print (para ? ".PP\n" : "") ".RS 4\n.nf"; lit = 1; para = 0; \
				print esc(substr(L[i], 5)); continue } \
			if (L[i] ~ /^- /) { print ".IP \\(bu 2"; item = 1; para = 0; print esc(substr(L[i], 3)); continue } \
			if (para && !item) print ".PP"; para = 0; \
			print esc(item ? substr(L[i], 3) : L[i]) } \
		if (lit) print ".fi\n.RE"; \
		print ".SH SEE ALSO\nunshare(1), nsenter(1), ip\\-netns(8), slirp4netns(1), pasta(1), namespaces(7),"; \
		print "user_namespaces(7), cgroups(7); the README of the source, which this page is made from." }' >$@

# Fails unless the binary has no program interpreter and needs no shared library.
check-static: rnsbox
	@if readelf -lW rnsbox | grep -q 'program interpreter'; then echo 'rnsbox: has a program interpreter' >&2; exit 1; fi
	@if readelf -dW rnsbox | grep -q NEEDED; then echo 'rnsbox: needs shared libraries' >&2; exit 1; fi
	@echo "rnsbox is static: $$(stat -c %s rnsbox) bytes"

# Test fixtures (tests/*.c), built with the same compiler.
FIXTURES = tests/seccomp-deny tests/listen-fds tests/foreign-socket tests/pidfd-ino
tests/%: tests/%.c
	$(CC) -std=gnu11 -Wall -Wextra -Werror -Os $(STATIC) -o $@ $<

# Cross builds: static musl binaries for the other architectures rnsbox ships for, with the
# same flags (-Werror catches a long that is 32 bits on armhf). gcc is Debian's cross
# compiler; musl comes from Debian's packages unpacked into CROSS_SYSROOT by
# tests/cross-sysroot.sh (the host's package state is not changed).
CROSS_SYSROOT ?= .cross
CROSS_ARCHS = aarch64 armhf riscv64
SIZE_LIMIT = 131072
# aarch64: the tiny code model (the binary is far below its 1 MiB reach) makes an address
# one ADR instead of ADRP and ADD: 5.6 KiB less. riscv64: -msave-restore, shared routines
# for saving and restoring registers instead of each function's own: 3.2 KiB less.
rnsbox-aarch64: XCC = aarch64-linux-gnu-gcc
rnsbox-aarch64: TRIPLE = aarch64-linux-musl
rnsbox-aarch64: XFLAGS = -mcmodel=tiny $(AARCH64_OPT)
rnsbox-armhf: XCC = arm-linux-gnueabihf-gcc
rnsbox-armhf: TRIPLE = arm-linux-musleabihf
rnsbox-armhf: XFLAGS = $(ARMHF_OPT)
rnsbox-riscv64: XCC = riscv64-linux-gnu-gcc
rnsbox-riscv64: TRIPLE = riscv64-linux-musl
rnsbox-riscv64: XFLAGS = -msave-restore $(RISCV64_OPT)
$(CROSS_ARCHS:%=rnsbox-%): PACK_ALIGN = 4
$(CROSS_ARCHS:%=rnsbox-%): rnsbox.c Makefile tests/cross-sysroot.sh
	sh tests/cross-sysroot.sh $(CROSS_SYSROOT)
	$(call LINK,$(XCC) -specs $(CROSS_SYSROOT)/$(TRIPLE).specs $(ALL_CFLAGS) $(GCC_OPT) $(XFLAGS) $(STATIC_FLAGS),$(CROSS_SYSROOT)/$(TRIPLE)/lib/libc.a,$(XCC:gcc=))
	@$(SSTRIP)

# Each cross build static and within the size limit (its stripped size printed), then
# test.sh's cross group: the armhf build booted under qemu-system-arm with Debian's armhf
# kernel (qemu-user cannot serve: its own threads make unshare(CLONE_NEWUSER) fail), for
# the 32-bit id cases and a few core ones.
check-cross: $(CROSS_ARCHS:%=rnsbox-%) rnsbox
	@for f in rnsbox $(CROSS_ARCHS:%=rnsbox-%); do \
		s=$$(stat -c %s $$f); echo "$$f: $$s bytes, stripped and static"; \
		if readelf -lW $$f | grep -q 'program interpreter'; then echo "$$f: has a program interpreter" >&2; exit 1; fi; \
		if [ $$s -gt $(SIZE_LIMIT) ]; then echo "$$f: over the $(SIZE_LIMIT)-byte limit" >&2; exit 1; fi; \
	done
	@for a in aarch64 riscv64; do \
		q=$$(command -v qemu-$$a-static) || { echo "rnsbox-$$a: not run (no qemu-$$a-static)"; continue; }; \
		$$q ./rnsbox-$$a detect --json | jq -e .version >/dev/null && \
			$$q ./rnsbox-$$a exec --help | grep -q '^usage: rnsbox exec' || \
			{ echo "rnsbox-$$a: does not run under $$q (detect --json, exec --help)" >&2; exit 1; }; \
		echo "rnsbox-$$a: runs under $$q (detect --json, exec --help)"; \
	done
	RNSBOX_CROSS_BIN=rnsbox-armhf RNSBOX_CROSS_BOOT=$(CROSS_SYSROOT)/armhf-boot ./test.sh cross

# libFuzzer harnesses (tests/fuzz/fuzz.c: one binary, RNSBOX_FUZZ=TARGET picks the target),
# clang with ASan and UBSan. make fuzz runs every target for FUZZ_SECONDS on its corpus
# (tests/fuzz/corpus/TARGET, kept between runs, seeded from tests/fuzz/regress/TARGET) and
# stops at the first finding, its input left as tests/fuzz/crash-TARGET-*; an input worth
# keeping goes to tests/fuzz/regress/TARGET, which test.sh runs once each (make check).
FUZZ = tests/fuzz/fuzz
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_TARGETS = escape join options procstat sfmt idmap mapgrammar netparse mountinfo netlink

check: rnsbox rnsbox.1 $(FIXTURES) $(FUZZ) check-static
	./test.sh

$(FUZZ): tests/fuzz/fuzz.c rnsbox.c
	$(FUZZ_CC) -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-Wall -Wno-unused-function -DRNSBOX_VERSION='"$(VERSION)"' -o $@ tests/fuzz/fuzz.c

fuzz: $(FUZZ)
	@for t in $(FUZZ_TARGETS); do \
		mkdir -p tests/fuzz/corpus/$$t; \
		echo "== fuzz $$t ($(FUZZ_SECONDS) s)"; \
		RNSBOX_FUZZ=$$t ./$(FUZZ) -max_total_time=$(FUZZ_SECONDS) -timeout=5 -print_final_stats=1 \
			-artifact_prefix=tests/fuzz/crash-$$t- tests/fuzz/corpus/$$t tests/fuzz/regress/$$t 2>&1 | \
			grep -aE '^(stat::number_of_executed_units|stat::new_units_added|==[0-9]+==|SUMMARY|rnsbox fuzz:|artifact_prefix)' ; \
		ls tests/fuzz/crash-$$t-* >/dev/null 2>&1 && exit 1; \
	done; true

# The whole suite once more against an ASan+UBSan build (gcc or clang, the system libc);
# any finding aborts the process that made it, which fails its case.
ASAN_CC ?= gcc
SANITIZE = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
rnsbox-asan: rnsbox.c Makefile
	$(ASAN_CC) -std=gnu11 $(WARN) $(SANITIZE) -DRNSBOX_VERSION='"$(VERSION)"' -o $@ rnsbox.c

# The dynamic builds README promises, against the system libc (for debuggers and sanitizers).
check-cc:
	@for cc in gcc clang; do \
		$$cc $(ALL_CFLAGS) -o rnsbox-$$cc rnsbox.c && ./rnsbox-$$cc --version && rm -f rnsbox-$$cc || exit 1; \
	done

check-asan: rnsbox-asan rnsbox.1 $(FIXTURES) $(FUZZ)
	RNSBOX_BIN=rnsbox-asan RNSBOX_SANITIZED=1 ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 ./test.sh

# Benchmark helpers (bench/*.c): the raw-syscall floor and the timing driver.
BENCH = bench/floor-exec bench/floor-newns bench/floor-userns bench/bench bench/tcp-echo
bench/%: bench/%.c
	$(CC) -std=gnu11 -Wall -Wextra -Werror -O2 $(STATIC) -o $@ $<

bench: rnsbox $(BENCH)
	sh bench/bench.sh

lint:
	shellcheck $(SHELL_FILES)
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability,performance \
		--inline-suppr --std=c11 -D__linux__ rnsbox.c
	$(CC) $(ALL_CFLAGS) -fanalyzer -c -o /dev/null rnsbox.c

# APPLETS=1 also links unshare and nsenter to rnsbox, never replacing a file that exists.
install: rnsbox rnsbox.1
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 0755 rnsbox $(DESTDIR)$(BINDIR)/rnsbox
	install -m 0644 rnsbox.1 $(DESTDIR)$(MANDIR)/man1/rnsbox.1
	@if [ -n "$(APPLETS)" ]; then for a in unshare nsenter; do \
		if [ -e "$(DESTDIR)$(BINDIR)/$$a" ] || [ -L "$(DESTDIR)$(BINDIR)/$$a" ]; then \
			echo "install: $(DESTDIR)$(BINDIR)/$$a exists, not replaced"; \
		else ln -s rnsbox "$(DESTDIR)$(BINDIR)/$$a" && echo "install: $(DESTDIR)$(BINDIR)/$$a -> rnsbox"; fi; \
	done; fi

clean:
	rm -f rnsbox rnsbox.1 rnsbox-asan rnsbox-gcc rnsbox-clang $(CROSS_ARCHS:%=rnsbox-%) $(FIXTURES) $(BENCH) $(FUZZ)

.PHONY: all check check-asan check-cc check-cross check-static lint install clean bench fuzz
