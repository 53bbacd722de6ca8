# tsrunc: top-level build. `make help` lists the targets.
#
#   make demo      install, then run a busybox container that shows its view of the world
#   make test      build, install, unit + integration tests (root); last line "N passed, N failed"
#
# PREFIX (default /usr/local) and DESTDIR are honoured by install/uninstall.

PREFIX  ?= /usr/local
DESTDIR ?=
BUILD   := $(CURDIR)/build
DENO    := $(CURDIR)/node_modules/@deno/linux-x64-glibc/deno
TSRUNC  ?= $(PREFIX)/sbin/tsrunc

# The bundle: mod.ts and everything it imports (npm zod inlined) in one file, staged
# as build/lib/ = the installed lib dir's JavaScript, with libcore.so, executor and
# version.json symlinked beside it. One file starts ~1.5 ms faster than one chunk per
# command (--code-splitting) at today's size (110 KB); measure again with scripts/bench
# when it grows. Install copies every build/lib/*.js, so either works.
BUNDLE_FLAGS ?= --platform deno
TS_SOURCES   := $(shell find mod.ts cli core ffi -name '*.ts' ! -name '*_test.ts' 2>/dev/null)

# What the demo container runs (sh -c). $$$$ is the shell's own PID: must be 1.
DEMO_SH = echo "hostname: $$(hostname)"; echo "id: $$(id)"; echo "pid: $$$$"; echo "mounts:"; cat /proc/self/mounts

export DENO_NO_UPDATE_CHECK := 1

.DEFAULT_GOAL := build

help:
	@echo 'targets:'
	@echo '  deps       install missing Debian packages and npm deps (scripts/setup.sh)'
	@echo '  build      deps + libcore (libcore.so, executor, launcher) + JS bundle + docs in build/'
	@echo '  docs       man pages (build/man/*.8) and bash completion (build/completion/) from cli/'
	@echo '  install    build, then install to $$(DESTDIR)$$(PREFIX) (default /usr/local)'
	@echo '  uninstall  remove what install put there'
	@echo '  dist       build, then a release tarball build/dist/tsrunc-VERSION-linux-x64.tar.gz'
	@echo '             (the installed tree relative to the prefix: tar -C /usr/local -xzf ...)'
	@echo '  demo       install, then run a busybox container (build/demo) as root'
	@echo '  demo-run   the demo container only (TSRUNC=runc to compare)'
	@echo '  test       install, then unit, integration and engine tests (the last two as root)'
	@echo '  unit       unit tests only (no root)'
	@echo '  integration  install, then integration tests only (root)'
	@echo '  test-engines install, then the engine tests only (containerd, Docker, Podman; root)'
	@echo '  test-vm    build, then VM_TEST (default: every tests/vm file; two boots, v2 and hybrid) in the Debian 12 test VM'
	@echo '             (systemd, cgroup v2; scripts/vm.sh, cache in build/vm/; root)'
	@echo '  compile    deno compile a single binary build/tsrunc-compiled (needs denort)'
	@echo '  bench      install, then hyperfine tsrunc vs runc vs crun (BENCH_ARGS=--short)'
	@echo '  fmt, lint, check, clean'

deps:
	@scripts/setup.sh

# Only the npm part: for targets that must not need root (unit, fmt, lint).
$(DENO):
	@scripts/setup.sh --npm-only

build: libcore bundle docs $(BUILD)/version.json

# Man pages and bash completion, made from the command table --help is made from.
# The stamp is touched on success: gen_docs leaves unchanged outputs alone.
docs: $(BUILD)/docs.stamp

$(BUILD)/docs.stamp: $(wildcard cli/*.ts) scripts/gen_docs.ts | $(DENO)
	@mkdir -p $(BUILD)
	$(DENO) run --quiet --allow-read=$(BUILD) --allow-write=$(BUILD) scripts/gen_docs.ts \
	  --man $(BUILD)/man --completion $(BUILD)/completion/tsrunc.bash
	@touch $@

# What `tsrunc --version` prints besides the release: the source commit, libseccomp's
# version. Rewritten only when it changes.
$(BUILD)/version.json: FORCE
	@mkdir -p $(BUILD)
	@printf '{"commit":"%s","libseccomp":"%s"}\n' \
	  "$$(git describe --always --dirty --long 2>/dev/null || echo unknown)" \
	  "$$(pkg-config --modversion libseccomp 2>/dev/null || echo unknown)" >$@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv -f $@.tmp $@; fi

libcore: | deps
	@$(MAKE) -s --no-print-directory -C libcore BUILD=$(BUILD)

bundle: $(BUILD)/lib/tsrunc.js

$(BUILD)/lib/tsrunc.js: $(TS_SOURCES) deno.json package.json | deps
	@test -f mod.ts || { echo "make: mod.ts does not exist yet" >&2; exit 1; }
	@rm -rf $(BUILD)/lib.new
	@mkdir -p $(BUILD)/lib.new
	$(DENO) bundle --quiet $(BUNDLE_FLAGS) --outdir $(BUILD)/lib.new mod.ts
	@# The entry is renamed to tsrunc.js: nothing may import it by its old name.
	@! grep -lF '"./mod.js"' $(BUILD)/lib.new/*.js
	@mv $(BUILD)/lib.new/mod.js $(BUILD)/lib.new/tsrunc.js
	@ln -s ../libcore.so $(BUILD)/lib.new/libcore.so
	@ln -s ../executor $(BUILD)/lib.new/executor
	@ln -s ../version.json $(BUILD)/lib.new/version.json
	@rm -rf $(BUILD)/lib
	@mv $(BUILD)/lib.new $(BUILD)/lib

install: build
	@PREFIX=$(PREFIX) DESTDIR=$(DESTDIR) BUILD=$(BUILD) scripts/install.sh install

uninstall:
	@PREFIX=$(PREFIX) DESTDIR=$(DESTDIR) BUILD=$(BUILD) scripts/install.sh uninstall

# The release tarball: scripts/install.sh into a staging DESTDIR with PREFIX=/usr/local.
dist: build
	@BUILD=$(BUILD) scripts/dist.sh $(BUILD)/dist

demo: install
	@$(MAKE) --no-print-directory demo-run

# The demo without (re)installing; TSRUNC=runc shows runc's view for comparison.
demo-run:
	@scripts/rootfs.sh $(BUILD)/demo
	@rm -f $(BUILD)/demo/config.json
	@cd $(BUILD)/demo && $(TSRUNC) spec
	@DEMO_SH='$(DEMO_SH)' python3 -c 'import json, os, sys; \
	p = sys.argv[1]; c = json.load(open(p)); \
	c["process"]["terminal"] = False; \
	c["process"]["args"] = ["sh", "-c", os.environ["DEMO_SH"]]; \
	c["hostname"] = "tsrunc-demo"; c["linux"]["cgroupsPath"] = "/tsrunc-demo"; \
	json.dump(c, open(p, "w"), indent="\t")' $(BUILD)/demo/config.json
	@id=demo-$$$$; echo "== $(TSRUNC) run --bundle $(BUILD)/demo $$id"; \
	rc=0; $(TSRUNC) run --bundle $(BUILD)/demo $$id || rc=$$?; \
	$(TSRUNC) delete --force $$id >/dev/null 2>&1 || true; \
	echo "== exit status $$rc"; exit $$rc

test: install
	@PREFIX=$(PREFIX) scripts/test.sh

unit: | $(DENO)
	@scripts/test.sh --unit

integration: install
	@PREFIX=$(PREFIX) scripts/test.sh --integration

test-engines: install
	@PREFIX=$(PREFIX) scripts/test.sh --engines

# The test VM (scripts/vm.sh): builds or reuses build/vm/, boots it, installs build/
# there as `make install` would and runs the VM suite (scripts/test_vm.sh: tests/vm/*.sh
# on cgroup v2, tests/vm/hybrid/*.sh in a hybrid boot), or just the VM_TEST files.
VM_TEST ?=
VM_ARGS ?=

test-vm: build
	@VM_ARGS='$(VM_ARGS)' scripts/test_vm.sh $(VM_TEST)

compile: build
	@scripts/compile.sh

bench: install
	@TSRUNC=$(TSRUNC) scripts/bench $(BENCH_ARGS)

fmt: | $(DENO)
	$(DENO) fmt

lint: | $(DENO)
	$(DENO) fmt --check
	$(DENO) lint
	@$(MAKE) --no-print-directory check

check: | $(DENO)
	$(DENO) check $(wildcard mod.ts) $(TS_SOURCES) $(shell find tests -name '*.ts' 2>/dev/null)

clean:
	rm -rf $(BUILD)

FORCE:

.PHONY: FORCE help deps build docs libcore bundle install uninstall dist demo demo-run test unit integration test-engines test-vm \
	compile bench fmt lint check clean
