# qifu — one GNU Makefile (see docs/internals/build.md).
#
#   make            build ./qifu (release, -O2)
#   make run        install deps, build, migrate, load demo data, serve on 127.0.0.1:8080
#   make test       install deps (with PostgreSQL), build, run every test on SQLite and PostgreSQL
#   make check      unit + integration tests under AddressSanitizer + UBSan
#   make bench      benchmarks (bench/)
#   make lint       gcc -fanalyzer, cppcheck and the banned-function grep (zero reports)
#   make format / format-check
#   make refdata    regenerate the code tables from ../shared/refdata (then make initials)
#   make WITH_PG=0  build without the PostgreSQL backend
#   make WITH_WEB=0 build without the web UI (no Node.js needed; `qifu serve --web-dir` still works)

MAKEFLAGS += --no-builtin-rules
.SUFFIXES:

WITH_PG   ?= 1
WITH_WEB  ?= 1
BUILD     ?= release
O         := build/$(BUILD)$(if $(filter 0,$(WITH_PG)),-nopg)
CC        ?= cc
PKGS      := libmicrohttpd jansson sqlite3 libsodium libcurl
# Excel: libxlsxwriter writes the exports, libzip + expat read imported .xlsx (base/xlsx_read).
PKGS      += xlsxwriter libzip expat
ifeq ($(WITH_PG),1)
PKGS      += libpq
endif

WARN      := -Wall -Wextra -Werror -Wstrict-prototypes -Wmissing-prototypes -Wshadow \
             -Wpointer-arith -Wcast-qual -fno-common -Wuninitialized -Wmaybe-uninitialized
CFLAGS_BASE := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE $(WARN) -MMD -MP -pthread
ifeq ($(BUILD),debug)
OPT       := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined \
             -ftrivial-auto-var-init=pattern
else ifeq ($(BUILD),fuzz)
CC        := clang
OPT       := -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined \
             -ftrivial-auto-var-init=pattern
else
OPT       := -O2 -g
endif
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
ALL_CFLAGS := $(CFLAGS_BASE) $(OPT) $(PKG_CFLAGS) -Isrc -I$(O)/gen $(if $(filter 1,$(WITH_PG)),-DWITH_PG) $(CFLAGS)
LDLIBS     := $(PKG_LIBS) -lm -pthread
# -Wmaybe-uninitialized is GCC's; clang (the fuzz build) would call it unknown.
ifneq ($(findstring clang,$(shell $(CC) --version 2>/dev/null)),)
ALL_CFLAGS += -Wno-unknown-warning-option
endif

include Makefile.inc

LIB_SRC    := $(BASE_SRC) $(STORE_SRC) $(CODES_SRC) $(CAL_SRC) $(RULES_SRC) $(DOMAIN_SRC) $(HTTP_SRC) $(API_SRC)
ifeq ($(WITH_PG),1)
LIB_SRC    += src/store/store_pg.c
endif
LIB_OBJ    := $(LIB_SRC:%.c=$(O)/%.o) $(O)/gen/migrations_sqlite.o $(O)/gen/migrations_pg.o \
              $(O)/gen/policy_seed_json.o $(O)/gen/common_passwords.o
MAIN_OBJ   := $(O)/src/main.o
# The web UI's files, linked into the qifu binary only (see the web rules below).
ifeq ($(WITH_WEB),1)
WEB_OBJ    := $(O)/gen/web_assets.o
else
WEB_OBJ    := $(O)/gen/web_assets_none.o
endif
UNIT_BIN   := $(UNIT_SRC:tests/unit/%.c=$(O)/tests/%)

.PHONY: bench-bin
.PHONY: all run test check unit integration bench lint analyze format format-check refdata initials deps clean fuzz fuzz-bin unit-bin
all: qifu

qifu: $(O)/qifu
	ln -sf $(O)/qifu qifu

$(O)/qifu: $(LIB_OBJ) $(MAIN_OBJ) $(WEB_OBJ)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

# `make V=1` shows the full commands.
ifeq ($(V),1)
Q :=
else
Q := @
endif

$(O)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(O)/tools/embed: tools/embed.c src/http/mime.h
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -O1 -Wall -Wextra -Werror -o $@ $<

# The demo's seed policies (data/policies/seed.json), loaded by `qifu demo`.
$(O)/gen/policy_seed_json.c: $(O)/tools/embed data/policies/seed.json
	@mkdir -p $(dir $@)
	$(O)/tools/embed text policy_seed_json data/policies/seed.json > $@.tmp && mv $@.tmp $@

# The common passwords the password policy refuses (data/passwords/common.txt).
$(O)/gen/common_passwords.c: $(O)/tools/embed data/passwords/common.txt
	@mkdir -p $(dir $@)
	$(O)/tools/embed text auth_common_passwords data/passwords/common.txt > $@.tmp && mv $@.tmp $@

# Each migration is written once, src/store/migrations/NNNN_name.sql, and expanded here
# for the backend $* (sqlite, pg): dialect tokens and -- @sqlite/-- @pg sections
# (docs/internals/store.md "Migrations").
# migrations.list holds the file names, rewritten only when they change, so removing or
# renaming a migration rebuilds the expansion too (a deletion leaves no newer prerequisite).
MIGRATIONS := $(sort $(wildcard src/store/migrations/*.sql))
$(O)/gen/migrations.list: FORCE
	@mkdir -p $(dir $@)
	@echo '$(MIGRATIONS)' | cmp -s - $@ || echo '$(MIGRATIONS)' > $@
$(O)/gen/migrations_%.c: $(O)/tools/embed $(MIGRATIONS) $(O)/gen/migrations.list
	@mkdir -p $(dir $@)
	$(O)/tools/embed migrations $* $(MIGRATIONS) > $@.tmp && mv $@.tmp $@
.PHONY: FORCE
FORCE:

# The web UI (web/, Vue + Vite; docs/internals/web.md). `npm ci` runs when node_modules is
# missing or package-lock.json changed (scripts/web-deps.sh, under a lock: build dirs share
# web/node_modules); the Vite build runs when web/ changed and writes $(O)/web/dist, one per
# build dir; then every built file is embedded (path, bytes, SHA-256 ETag, MIME, gzip variant).
# Only the qifu binary links the assets, so unit tests never wait for npm.
WEB_SRC    := $(shell find web/src web/public -type f 2>/dev/null) web/index.html \
              web/vite.config.js web/package.json web/package-lock.json

web/node_modules/.qifu-npm-ci: web/package-lock.json web/package.json
	scripts/web-deps.sh

$(O)/web/.built: $(WEB_SRC) web/node_modules/.qifu-npm-ci
	scripts/web-build.sh $(O)/web/dist
	touch $@

$(O)/gen/web_assets.c: $(O)/tools/embed $(O)/web/.built
	@mkdir -p $(dir $@)
	$(O)/tools/embed assets $(O)/web/dist > $@.tmp && mv $@.tmp $@

$(O)/gen/web_assets_none.c: $(O)/tools/embed
	@mkdir -p $(dir $@)
	$(O)/tools/embed assets - > $@.tmp && mv $@.tmp $@

.PHONY: web
web: $(O)/web/.built

$(O)/gen/%.o: $(O)/gen/%.c
	$(Q)$(CC) $(ALL_CFLAGS) -Isrc/store -c -o $@ $<

# Unit tests: one binary per tests/unit/test_<module>.c, linked with Check.
CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null)
$(O)/tests/%: tests/unit/%.c tests/unit/unit.h $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(shell pkg-config --cflags check 2>/dev/null) -o $@ $< $(LIB_OBJ) $(LDLIBS) $(CHECK_LIBS)

unit-bin: $(UNIT_BIN)

# Fuzz targets (libFuzzer, clang): tests/fuzz/fuzz_<name>.c, corpora in tests/fuzz/corpus/<name>.
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/tests/%)
FUZZ_SECONDS ?= 60
# fuzz_handlers includes src/main.c (for `qifu demo`), so every target links the
# empty web asset table.
build/fuzz/tests/fuzz_%: tests/fuzz/fuzz_%.c $(LIB_OBJ) $(O)/gen/web_assets_none.o
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -fsanitize=fuzzer -o $@ $< $(LIB_OBJ) $(O)/gen/web_assets_none.o $(LDLIBS)

fuzz:
	scripts/deps.sh --fuzz
	$(MAKE) BUILD=fuzz fuzz-bin
	for t in $(notdir $(FUZZ_BIN)); do \
	  mkdir -p build/fuzz/corpus/$${t#fuzz_}; \
	  build/fuzz/tests/$$t -max_total_time=$(FUZZ_SECONDS) -max_len=65536 \
	    build/fuzz/corpus/$${t#fuzz_} tests/fuzz/corpus/$${t#fuzz_} || exit 1; \
	done

fuzz-bin: $(FUZZ_BIN)
.SECONDARY: $(O)/gen/web_assets_none.o

deps:
	scripts/deps.sh

# The two set-up commands of README.md.
run: deps
	$(MAKE) qifu
	scripts/run-demo.sh

test:
	scripts/deps.sh --test
	$(MAKE) qifu unit-bin
	tests/run.sh --build $(O)

check:
	scripts/deps.sh --test
	$(MAKE) BUILD=debug build/debug/qifu unit-bin
	QIFU_SANITIZE=1 tests/run.sh --build build/debug

# Benchmark tools (bench/*.c: the HTTP load generator, the durable-insert peer), built
# with the server's flags; bench/run.sh finds them through BENCH_BIN_DIR.
BENCH_BIN := $(O)/bench/loadgen $(O)/bench/peer_insert
$(O)/bench/%: bench/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LDLIBS)

# The policy-matching benchmark links the library (the rule engine and the code tables).
BENCH_BIN += $(O)/bench/rules_bench
$(O)/bench/rules_bench: bench/rules_bench.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIB_OBJ) $(LDLIBS)

# The personal material list (issue 18) links the library too.
BENCH_BIN += $(O)/bench/checklist_bench
$(O)/bench/checklist_bench: bench/checklist_bench.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIB_OBJ) $(LDLIBS)

# The catalogue search benchmark's generator and bare-query peer (bench/catalog_search.sh).
BENCH_BIN += $(O)/bench/catalog_bench
$(O)/bench/catalog_bench: bench/catalog_bench.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIB_OBJ) $(LDLIBS)

bench-bin: $(BENCH_BIN)

bench: qifu bench-bin
	QIFU_BIN=$(CURDIR)/$(O)/qifu BENCH_BIN_DIR=$(CURDIR)/$(O)/bench bench/run.sh

lint:
	scripts/deps.sh --lint
	scripts/lint.sh

# The static analyser of `make lint` (scripts/lint.sh): gcc -fanalyzer over src/, one log
# per file, redone only when the file or a header it includes changed. -O0: at -O2 GCC
# folds code away before the analyser sees it (it then misses even a plain double free).
ANALYZE_SRC := $(LIB_SRC) src/main.c
ANALYZE_LOG := $(ANALYZE_SRC:%.c=build/analyze/%.log)
build/analyze/%.log: %.c
	@mkdir -p $(dir $@)
	@echo "  ANALYZE $<"
	$(Q)gcc $(CFLAGS_BASE) -Wno-error -O0 $(PKG_CFLAGS) -Isrc $(if $(filter 1,$(WITH_PG)),-DWITH_PG) \
	  -fanalyzer -fdiagnostics-plain-output -MF build/analyze/$*.d -MT $@ -c -o /dev/null $< \
	  > $@.tmp 2>&1 || echo "$<: error: the analyser could not compile it" >> $@.tmp
	$(Q)mv $@.tmp $@

analyze: $(ANALYZE_LOG)

format:
	clang-format -i $(LIB_SRC) src/main.c $(wildcard src/*/*.h) $(UNIT_SRC)

format-check:
	clang-format --dry-run --Werror $(LIB_SRC) src/main.c $(wildcard src/*/*.h) $(UNIT_SRC)

refdata:
	python3 scripts/gen_refdata.py ../shared/refdata

# Pinyin initials of the code tables for the web UI's cascader search, and of every ideograph
# for the catalogue search (needs web/node_modules).
initials:
	node scripts/gen_initials.mjs
	node scripts/gen_pinyin.mjs && clang-format -i src/catalog/catalog_pinyin_table.c

clean:
	rm -rf build qifu

-include $(shell find build -name '*.d' 2>/dev/null)
