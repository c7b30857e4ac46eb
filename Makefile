# Makefile - builds build/tungate-run and runs tungate's tests.
#
#   make            build build/tungate-run (V=1 shows commands)
#   make deps       install missing Debian packages, fetch lwIP's source
#   make test       deps + -Werror build + unit tests (plain and ASan/UBSan)
#                   + end-to-end tests as root and as an unprivileged user
#   make demo       build, then run a program in the sandbox (tests/demo.sh)
#   make bench      tungate against the kernel path, slirp4netns and pasta
#                   (bench/run.sh; QUICK=1: under 3 minutes)
#   make fuzz       run the fuzz harnesses for a while (clang, libFuzzer)
#   make install    install tungate-run into $(DESTDIR)$(PREFIX)/bin
#   make check      static analysis (cppcheck)
#
# SAN=1 builds everything with AddressSanitizer and UBSan under build/asan/.
# lwIP's source comes from Debian's `lwip` source package (build-aux/) and is
# unpacked once under build/lwip/, shared by every build flavour.

BUILD   ?= build
PREFIX  ?= /usr/local
SAN     ?= 0
WERROR  ?= 0
V       ?= 0
QUICK   ?= 0

ifeq ($(SAN),1)
OUT     := $(BUILD)/asan
else
OUT     := $(BUILD)
endif
OBJ     := $(OUT)/obj

ifeq ($(V),1)
Q :=
msg = @true
else
Q := @
msg = @printf '  %-7s %s\n' $(1) $(2)
endif

CC      ?= gcc
PKGS    := libnl-3.0 libnl-route-3.0 libcap json-c ldns
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

LWIP_TOP := $(BUILD)/lwip/src
LWIP_DIR := $(LWIP_TOP)/src
LWIP_STAMP := $(LWIP_DIR)/core/tcp.c

WARN    := -Wall -Wextra -Wshadow -Wformat=2 -Wundef -Wstrict-prototypes \
	   -Wmissing-prototypes -Wpointer-arith -Wvla
ifeq ($(WERROR),1)
WARN    += -Werror
endif
OPT     := -O2 -g
HARDEN  := -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
ifeq ($(SAN),1)
OPT     := -O1 -g -fno-omit-frame-pointer
HARDEN  := -fPIE
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined
endif

CPPFLAGS_COMMON := -D_GNU_SOURCE -I. -Istack -I$(LWIP_DIR)/include
CFLAGS  ?=
CFLAGS_ALL := -std=gnu11 $(OPT) $(HARDEN) $(SANFLAGS) -MMD -MP $(CFLAGS)
LDFLAGS_ALL := -pie -Wl,-z,relro,-z,now $(SANFLAGS) $(LDFLAGS)
LIBS    := $(PKG_LIBS)

# lwIP core, NO_SYS=1: 25 files (see docs/design.md, "lwIP").
LWIP_SRCS := $(addprefix $(LWIP_DIR)/core/, init.c def.c inet_chksum.c ip.c \
	mem.c memp.c netif.c pbuf.c stats.c sys.c tcp.c tcp_in.c tcp_out.c \
	timeouts.c udp.c) \
	$(addprefix $(LWIP_DIR)/core/ipv4/, icmp.c ip4.c ip4_addr.c ip4_frag.c) \
	$(addprefix $(LWIP_DIR)/core/ipv6/, icmp6.c inet6.c ip6.c ip6_addr.c \
	ip6_frag.c nd6.c)
LWIP_OBJS := $(patsubst $(LWIP_DIR)/%.c,$(OBJ)/lwip/%.o,$(LWIP_SRCS))
LWIP_LIB  := $(OUT)/liblwip.a

# The project: every module's .c file joins libtungate.a; cmd/ holds mains.
MODULES   := util policy dns peek netns stack
LIB_SRCS  := $(sort $(foreach m,$(MODULES),$(wildcard $(m)/*.c)) \
	     $(filter-out cmd/tungate_run.c,$(wildcard cmd/*.c)))
LIB_OBJS  := $(patsubst %.c,$(OBJ)/%.o,$(LIB_SRCS))
LIB       := $(OUT)/libtungate.a
RUN_BIN   := $(OUT)/tungate-run

UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(patsubst tests/unit/%.c,$(OUT)/tests/%,$(UNIT_SRCS))

.PHONY: all deps test unit e2e e2e-root e2e-user demo bench fuzz install check clean distclean
all: $(RUN_BIN)

deps:
	$(Q)build-aux/deps.sh $(BUILD)/lwip

$(LWIP_STAMP):
	$(call msg,FETCH,lwip)
	$(Q)build-aux/fetch-lwip.sh $(BUILD)/lwip

$(OBJ)/lwip/%.o: $(LWIP_DIR)/%.c stack/lwipopts.h stack/arch/cc.h stack/lwip_hooks.h | $(LWIP_STAMP)
	$(call msg,CC,lwip/$*.c)
	@mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS_COMMON) -std=gnu11 $(OPT) $(SANFLAGS) -fPIE -MMD -MP \
		-Wno-address -Wno-unused-parameter -c -o $@ $<

$(LWIP_LIB): $(LWIP_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(OBJ)/%.o: %.c | $(LWIP_STAMP)
	$(call msg,CC,$<)
	@mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS_COMMON) $(PKG_CFLAGS) $(CFLAGS_ALL) $(WARN) -c -o $@ $<

$(LIB): $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(RUN_BIN): $(OBJ)/cmd/tungate_run.o $(LIB) $(LWIP_LIB)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $< -Wl,--start-group $(LIB) $(LWIP_LIB) -Wl,--end-group $(LIBS)

$(OUT)/tests/%: $(OBJ)/tests/unit/%.o $(LIB) $(LWIP_LIB)
	$(call msg,LD,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $< -Wl,--start-group $(LIB) $(LWIP_LIB) -Wl,--end-group $(LIBS) -lcmocka

# Unit tests: each cmocka runner prints its own summary; tests/unit/run.sh
# adds a closing line counting the tests of all runners.
unit: $(UNIT_BINS)
	$(Q)tests/unit/run.sh unit-$(if $(filter 1,$(SAN)),asan,plain) $(UNIT_BINS)

e2e: e2e-root e2e-user

e2e-root: $(RUN_BIN)
	$(Q)tests/e2e/run.sh --as root $(RUN_BIN)

e2e-user: $(RUN_BIN)
	$(Q)tests/e2e/run.sh --as user $(RUN_BIN)

# Every suite appends "NAME PASSED FAILED SKIPPED" to the tally; the last
# line sums them in the form CI reads: "tests: N passed, M failed, K skipped".
TALLY := $(BUILD)/test-tally
test: deps
	$(Q)rm -f $(TALLY); mkdir -p $(BUILD)
	$(Q)export TG_TALLY=$(abspath $(TALLY)); st=0; \
	$(MAKE) --no-print-directory WERROR=1 all unit || st=1; \
	$(MAKE) --no-print-directory WERROR=1 SAN=1 unit || st=1; \
	$(MAKE) --no-print-directory -k WERROR=1 e2e || st=1; \
	$(MAKE) --no-print-directory WERROR=1 SAN=1 e2e-root || st=1; \
	awk '{ p += $$2; f += $$3; s += $$4 } \
	     END { printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }' $(TALLY); \
	exit $$st

# Like test, demo works on a fresh machine: it installs what is missing.
demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)tests/demo.sh $(RUN_BIN)

bench:
	$(Q)build-aux/deps.sh $(BUILD)/lwip --bench
	$(Q)$(MAKE) --no-print-directory all
	$(Q)QUICK=$(QUICK) bench/run.sh $(RUN_BIN)

fuzz:
	$(Q)tests/fuzz/run.sh $(BUILD)

install: $(RUN_BIN)
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(RUN_BIN) $(DESTDIR)$(PREFIX)/bin/tungate-run

check: | $(LWIP_STAMP)
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
		--inline-suppr --std=c11 -D_GNU_SOURCE -I. -Istack \
		$(foreach m,$(MODULES) cmd,$(m)/)

clean:
	rm -rf $(BUILD)/obj $(BUILD)/asan $(BUILD)/tests $(BUILD)/*.a $(BUILD)/tungate-run

distclean:
	rm -rf $(BUILD)

-include $(LWIP_OBJS:.o=.d) $(LIB_OBJS:.o=.d) $(OBJ)/cmd/tungate_run.d \
	 $(patsubst $(OUT)/tests/%,$(OBJ)/tests/unit/%.d,$(UNIT_BINS))
