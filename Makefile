# knob — build, test, sanitize, demo, bench.  `make help` lists the targets.
.DEFAULT_GOAL := all
SHELL := /bin/bash

PKGS      := gcc make pkg-config lua5.4 liblua5.4-dev libopenblas-dev libcjson-dev lua-filesystem lua-busted lua-argparse libsqlite3-dev libpq-dev
TEST_PKGS := chromium postgresql
BENCH_PKGS := python3-sklearn python3-pandas python3-xgboost python3-optuna python3-psycopg2
# install_missing(packages): apt-get install the ones dpkg does not list as installed (sudo when not root)
install_missing = missing=""; for p in $(1); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi
PKGCONFIG := lua5.4 libcjson openblas sqlite3 libpq
SUDO      := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

CC        ?= gcc
PREFIX    ?= /usr/local
WARN      := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes
CPPFLAGS  := -Iengine/include
OPT       ?= -O2 -g
CFLAGS    := -std=c11 $(OPT) -ffp-contract=off -fPIC -pthread $(WARN) -DKNOB_PREFIX='"$(PREFIX)"'


CORE_SRC  := $(sort $(wildcard engine/src/*.c engine/src/*/*.c))
LUA_SRC   := $(sort $(wildcard engine/lua/*.c))
HOST_SRC  := engine/host/knob.c

# One rule set, two build trees: build/ (release) and build-san/ (ASan + UBSan).
define BUILD_TREE
$(1)/obj/%.o: engine/%.c $$(wildcard engine/include/knob/*.h engine/lua/*.h engine/src/*.h engine/src/*/*.h) | deps
	@mkdir -p $$(dir $$@)
	@echo "  CC $$<$(if $(2), (sanitize))"
	@$$(CC) $$(CPPFLAGS) $$(CFLAGS) $(2) $$(shell pkg-config --cflags $$(PKGCONFIG) 2>/dev/null) -c $$< -o $$@

$(1)/libknob.a: $$(CORE_SRC:engine/%.c=$(1)/obj/%.o)
	@rm -f $$@
	ar rcs $$@ $$^

$(1)/knob: $$(HOST_SRC:engine/%.c=$(1)/obj/%.o) $$(LUA_SRC:engine/%.c=$(1)/obj/%.o) $(1)/libknob.a
	$$(CC) $$(CFLAGS) $(2) -rdynamic -o $$@ $$^ $$(shell pkg-config --libs $$(PKGCONFIG)) -lm -ldl

$(1)/lib/knob/core.so: $$(LUA_SRC:engine/%.c=$(1)/obj/%.o) $(1)/libknob.a
	@mkdir -p $$(dir $$@)
	$$(CC) $$(CFLAGS) $(2) -shared -o $$@ $$^ $$(shell pkg-config --libs libcjson openblas sqlite3 libpq) -lm
endef

SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
$(eval $(call BUILD_TREE,build,))
$(eval $(call BUILD_TREE,build-san,$(SAN_FLAGS)))

.PHONY: all deps test-deps test sanitize check-layering demo bench fuzz clean install help
all: build/knob build/lib/knob/core.so check-layering ## build the executable and the Lua C module

deps: ## install missing Debian packages (apt-get; sudo when not root)
	@$(call install_missing,$(PKGS))

test-deps: deps ## also what the tests need (chromium renders the HTML report in a spec)
	@$(call install_missing,$(TEST_PKGS))

test: all | test-deps ## run the whole busted suite; ends with "tests: N passed, N failed"
	@build/knob tests/run.lua $(TESTFLAGS)

sanitize: build-san/knob build/lib/knob/core.so | test-deps ## run the whole suite against an ASan+UBSan build
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:strict_string_checks=1 \
	 LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0 \
	 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	 KNOB_TEST_EXE=build-san/knob build-san/knob tests/run.lua $(TESTFLAGS)

check-layering: ## fail if the pure C core includes lua.h
	@if grep -rnE '#[[:space:]]*include[[:space:]]*[<"](lua|lauxlib|lualib)\.h' engine/src engine/include; then \
	  echo "check-layering: engine/src and engine/include must not include Lua headers"; exit 1; fi

demo: all ## run the bundled staged-tuning recipe on bundled data
	@build/knob examples/staged.lua

bench: all ## benchmarks side by side with peers (BENCH="csv gbdt" picks some; installs the peers)
	@$(call install_missing,$(BENCH_PKGS))
	@build/knob bench/run.lua $(BENCH)

fuzz: ## build the libFuzzer targets (clang) and run each for FUZZ_SECONDS (default 60)
	@$(MAKE) --no-print-directory -C tests/fuzz run SECONDS=$${FUZZ_SECONDS:-60}

install: all ## install to $(PREFIX) (bin/knob, share/knob, lib/lua/5.4/knob/core.so)
	install -Dm755 build/knob $(DESTDIR)$(PREFIX)/bin/knob
	install -Dm755 build/lib/knob/core.so $(DESTDIR)$(PREFIX)/lib/lua/5.4/knob/core.so
	mkdir -p $(DESTDIR)$(PREFIX)/share/knob
	cp -r stdlib scripts $(DESTDIR)$(PREFIX)/share/knob/

clean: ## remove build trees
	rm -rf build build-san

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' Makefile | sed -E 's/:.*## /\t/' | expand -t 16
