# bpfkit — the two commands a person needs: `make demo` and `make test`. Both run `setup` first.
SHELL := /bin/bash
.DEFAULT_GOAL := demo

UNAME     := $(shell uname -s)
CLANG     ?= clang-19
SYS_PKGS  := clang-19 llvm-19 libbpf-dev bpftool libelf-dev zlib1g-dev pkg-config qemu-system-x86 busybox-static kmod xz-utils zstd lcov
NODE_DIR  := $(shell node -p "require('path').dirname(require('path').dirname(process.execPath))")
MULTIARCH := $(shell gcc -print-multiarch 2>/dev/null)
BPF_SRCS  := $(wildcard bpf/*.bpf.c)
BPF_OBJS  := $(patsubst bpf/%.bpf.c,build/bpf/%.bpf.o,$(BPF_SRCS))
BPF_CFLAGS := -O2 -g -Wall -Werror -target bpf -D__TARGET_ARCH_x86 -Ibpf/include $(if $(MULTIARCH),-I/usr/include/$(MULTIARCH))
TS_SRCS   := $(shell find src -name '*.ts' 2>/dev/null)
NATIVE_SRCS := $(wildcard native/*.cc native/*.h) binding.gyp

.PHONY: setup system-deps test demo bench difftest clean typecheck fuzz matrix vm-kernel

ifeq ($(UNAME),Linux)
setup: system-deps node_modules/.package-lock.json build/Release/bpfkit.node dist/index.js $(BPF_OBJS) build/bpf/no-btf/unlocked.bpf.o vm-kernel
else
setup: node_modules/.package-lock.json dist/index.js
	@echo "bpfkit: $(UNAME) host: no BPF kernel here; the native addon and BPF objects are skipped, the emulator engine is used."
endif

# Installs the system packages only when one is missing, so a second `make setup` touches nothing.
system-deps:
	@missing=""; for p in $(SYS_PKGS); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "bpfkit: installing$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	else \
	  echo "bpfkit: missing system packages:$$missing"; \
	  echo "  install them with: sudo apt-get install$$missing"; exit 1; \
	fi

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund
	@touch $@

# node-gyp gets this Node's own headers and never downloads any.
build/Release/bpfkit.node: $(NATIVE_SRCS) node_modules/.package-lock.json
	BPFKIT_STRICT_BUILD=1 node scripts/build-addon.mjs

dist/index.js: $(TS_SRCS) tsconfig.json tsconfig.build.json node_modules/.package-lock.json
	npx tsc -p tsconfig.build.json
	@touch $@

build/bpf/%.bpf.o: bpf/%.bpf.c $(wildcard bpf/include/*.h) | system-deps
	@mkdir -p build/bpf
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

# A fixture built as a user who forgot -g would: no BTF for its .maps (test/unit/hints.test.ts).
build/bpf/no-btf/%.bpf.o: bpf/%.bpf.c $(wildcard bpf/include/*.h) | system-deps
	@mkdir -p build/bpf/no-btf
	$(CLANG) $(filter-out -g,$(BPF_CFLAGS)) -c $< -o $@

typecheck: node_modules/.package-lock.json
	npx tsc -p tsconfig.json --noEmit

test: setup typecheck
	npx vitest run

# Examples and benches are TypeScript too, compiled beside the package into build/tools.
TOOL_SRCS := $(wildcard examples/*.ts bench/*.ts)
build/tools/.stamp: $(TS_SRCS) $(TOOL_SRCS) tsconfig.tools.json node_modules/.package-lock.json
	npx tsc -p tsconfig.tools.json
	@touch $@

demo: setup build/tools/.stamp
	node build/tools/examples/demo.js

build/bench/map_ops: bench/c/map_ops.c
	@mkdir -p build/bench
	gcc -O2 -Wall -o $@ $< $$(pkg-config --cflags --libs libbpf)

# The N-API floor (bench/c/napi_floor.c), against this Node's own headers as the addon is built.
build/bench/napi_floor.node: bench/c/napi_floor.c
	@mkdir -p build/bench
	gcc -O2 -Wall -shared -fPIC -I$$(node -p "require('path').join(process.execPath, '../../include/node')") -o $@ $< $$(pkg-config --cflags --libs libbpf)

bench: setup build/tools/.stamp build/bench/map_ops build/bench/napi_floor.node
	node --expose-gc build/tools/bench/run.js

difftest: setup
	BPFKIT_DIFF_OPS=1000000 BPFKIT_DIFF_PROGRAMS=100000 BPFKIT_DIFF_SEED=random BPFKIT_BTF_MUTANTS=100000 BPFKIT_BTF_SEED=random \
	  BPFKIT_SCALAR_PROGRAMS=100000 BPFKIT_SCALAR_SEED=random BPFKIT_REFUSED_PROGRAMS=100000 BPFKIT_REFUSED_SEED=random npx vitest run test/diff

clean:
	rm -rf build dist

# The kernel the VM smoke test boots, fetched once into ~/.cache/bpfkit (a no-op when cached): tests never download.
vm-kernel: dist/index.js
	@node bin/bpfkit.mjs vm --kernel 6.1 --fetch >/dev/null || echo "bpfkit: could not prefetch the 6.1 kernel; the VM smoke test will skip"

# bpfkit's kernel suites in VMs of other kernels (slow: TCG); prints kernel x suite.
matrix: setup
	node scripts/matrix.mjs

# Long fuzzing runs: 10^6 hostile API calls per engine, 10^6 hostile programs per execution (isolation),
# 10^4 mutated object files per engine.
fuzz: setup
	BPFKIT_FUZZ_CALLS=1000000 BPFKIT_ISOLATION_PROGRAMS=1000000 BPFKIT_OBJECT_FUZZ_MUTANTS=10000 \
	  npx vitest run test/reliability/fuzz.test.ts test/reliability/isolation.test.ts test/reliability/object-fuzz.test.ts
