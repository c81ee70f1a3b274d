# fromscratch — build, test and demo targets. CI runs `make test` (.ci/run).

GO ?= go
# Per test binary; the whole suite should stay well under 30 minutes.
TEST_TIMEOUT ?= 20m
TEST_FLAGS ?= -race -count=1 -timeout $(TEST_TIMEOUT)
PKGS ?= ./...
FUZZTIME ?= 10s
BIN := bin/fromscratch

.PHONY: all build test test-go lint fuzz bench demo image clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/fromscratch

# The tests need a Docker daemon and a registry. Start them (.ci/services)
# unless they already run, as under .ci/run, and stop them afterwards, so
# that `make test` does the same on a laptop as in CI.
test:
ifeq ($(FROMSCRATCH_TEST_SERVICES),)
	.ci/services run $(MAKE) --no-print-directory test-go
else
	$(MAKE) --no-print-directory test-go
endif

test-go: lint
	$(GO) test $(TEST_FLAGS) $(PKGS)
	$(MAKE) --no-print-directory fuzz

lint:
	@bad=$$(gofmt -l $$(git ls-files -co --exclude-standard '*.go' 2>/dev/null || echo .)); \
	if [ -n "$$bad" ]; then echo "gofmt needed:"; echo "$$bad"; exit 1; fi
	$(GO) vet $(PKGS)

# A short run of each fuzz target; add one line per target:
#	$(GO) test -run='^$$' -fuzz='^FuzzOpen$$' -fuzztime=$(FUZZTIME) ./elfscan
fuzz:
	@echo "fuzz: $(FUZZTIME) per target"

# Go benchmarks, then the comparison with peer tools (lddtree, ldd…) when
# .ci/bench-peers exists: it prints our time / their time per input.
bench:
	$(GO) test -run='^$$' -bench=. -benchmem $(PKGS)
	@if [ -x .ci/bench-peers ]; then .ci/bench-peers; else echo "bench: no .ci/bench-peers yet"; fi

# The main job on an embedded default: an image of this machine's curl,
# made FROM scratch, loaded into a private Docker daemon and run. Prints the
# closure with its reasons, the image's size and the program's output.
DEMO_PROGRAM ?= /usr/bin/curl
DEMO_ARGS ?= --version
demo: build
	@mkdir -p out
	$(BIN) deps $(DEMO_PROGRAM)
	$(BIN) image --tarball out/demo.tar --oci-layout out/demo-oci --tag fromscratch-demo:latest $(DEMO_PROGRAM)
	@ls -l out/demo.tar
	.ci/services run sh -ec '\
		export DOCKER_HOST=$$FROMSCRATCH_TEST_DOCKER_HOST; \
		$$FROMSCRATCH_TEST_DOCKER load -i out/demo.tar; \
		$$FROMSCRATCH_TEST_DOCKER images fromscratch-demo; \
		$$FROMSCRATCH_TEST_DOCKER run --rm --network none fromscratch-demo:latest $(DEMO_ARGS)'

# TODO: an image of fromscratch itself, made by fromscratch.
image: build
	@echo "image: not written yet"; exit 1

clean:
	rm -rf bin out
