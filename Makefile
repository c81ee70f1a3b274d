# fromscratch — build, test and demo targets. CI runs `make test` (.ci/run).

# Go from PATH, or where the official tarball puts it.
GO ?= $(shell command -v go 2>/dev/null || echo /usr/local/go/bin/go)
# Per test binary; the whole suite should stay well under 30 minutes.
TEST_TIMEOUT ?= 30m
TEST_FLAGS ?= -race -count=1 -timeout $(TEST_TIMEOUT)
PKGS ?= ./...
FUZZTIME ?= 10s
BIN := bin/fromscratch

.PHONY: all build test test-go setup lint fuzz bench demo image clean go

all: build

# Go is the one prerequisite that is not a Debian package (Debian 12's is
# too old): say so in one line instead of make's "No such file".
go:
	@command -v $(GO) >/dev/null || { echo "make: Go not found: install Go 1.26 or later from https://go.dev/dl (tar -C /usr/local -xzf go*.tar.gz)" >&2; exit 1; }

build: go
	$(GO) build -o $(BIN) ./cmd/fromscratch

# The tests need a Docker daemon and a registry. Start them (.ci/services)
# unless they already run, as under .ci/run, and stop them afterwards, so
# that `make test` does the same on a laptop as in CI.
# .ci/setup installs what .ci/packages lists and the machine lacks (as root
# on Debian; elsewhere it names it, and the tests that need it skip).
test: setup
ifeq ($(FROMSCRATCH_TEST_SERVICES),)
	.ci/services run $(MAKE) --no-print-directory test-go
else
	$(MAKE) --no-print-directory test-go
endif

setup:
	@SETUP_OPTIONAL=1 .ci/setup

test-go: lint
	-.ci/syft >/dev/null
	$(GO) test $(TEST_FLAGS) $(PKGS)
	$(MAKE) --no-print-directory fuzz

lint:
	@bad=$$(gofmt -l $$(git ls-files -co --exclude-standard '*.go' 2>/dev/null || echo .)); \
	if [ -n "$$bad" ]; then echo "gofmt needed:"; echo "$$bad"; exit 1; fi
	$(GO) vet $(PKGS)

# A short run of each fuzz target (the seed corpora run in every go test).
fuzz:
	$(GO) test -run='^$$' -fuzz='^FuzzScan$$' -fuzztime=$(FUZZTIME) ./elfscan
	$(GO) test -run='^$$' -fuzz='^FuzzScanDlopenNotes$$' -fuzztime=$(FUZZTIME) ./elfscan
	$(GO) test -run='^$$' -fuzz='^FuzzParse$$' -fuzztime=$(FUZZTIME) ./elfscan/ldcache
	$(GO) test -run='^$$' -fuzz='^FuzzParseConf$$' -fuzztime=$(FUZZTIME) ./elfscan/ldcache
	$(GO) test -run='^$$' -fuzz='^FuzzArgs$$' -fuzztime=$(FUZZTIME) ./cmd/fromscratch
	$(GO) test -run='^$$' -fuzz='^FuzzReference$$' -fuzztime=$(FUZZTIME) ./image

# Go benchmarks, then the comparison with the peer tools, measured in the
# same run and printed as ratios (go run ./bench).
bench:
	$(GO) test -run='^$$' -bench=. -benchmem $(PKGS)
	$(GO) run ./bench

# The main job on an embedded default: an image of this machine's curl,
# made FROM scratch and run. Prints the closure with its reasons, the
# image's size and the program's output. .ci/setup installs DEMO_PACKAGES
# if they are missing; .ci/demo runs the image in a private Docker daemon
# where Docker is installed, else its files with chroot in namespaces of
# their own (unshare).
DEMO_PROGRAM ?= /usr/bin/curl
DEMO_ARGS ?= --version
DEMO_PACKAGES ?= curl
DEMO_OUT ?= out
demo:
	@.ci/setup $(DEMO_PACKAGES)
	@$(MAKE) --no-print-directory build
	@.ci/demo $(BIN) $(DEMO_OUT) $(DEMO_PROGRAM) $(DEMO_ARGS)

# fromscratch's own image, made by fromscratch. A static, reproducible build
# of the command goes to /usr/local/bin/fromscratch in a staging root, with
# /tmp (1777: image layers over 32 MiB spool to $$TMPDIR) and the CA bundle
# (--push and --base talk HTTPS), and `fromscratch image` writes that as
# $(IMAGE_OUT)/fromscratch.tar (docker load) and $(IMAGE_OUT)/fromscratch-oci,
# and prints the digest. No rule adds anything to a static program: without
# the staging root the image would be the binary alone, at its build path.
# One commit gives one digest (file and image times are the commit's);
# IMAGE_CA_BUNDLE= leaves the machine's certificates out.
IMAGE_OUT ?= out
IMAGE_TAG ?= fromscratch:latest
IMAGE_CA_BUNDLE ?= /etc/ssl/certs/ca-certificates.crt
IMAGE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 0)
IMAGE_GOFLAGS ?= -trimpath -buildvcs=auto -ldflags="-s -w"
IMAGE_ROOT = $(IMAGE_OUT)/fromscratch-root
image: build
	rm -rf $(IMAGE_ROOT) $(IMAGE_OUT)/fromscratch-oci
	mkdir -p $(IMAGE_ROOT)/usr/local/bin $(IMAGE_ROOT)/tmp
	chmod 1777 $(IMAGE_ROOT)/tmp
	CGO_ENABLED=0 $(GO) build $(IMAGE_GOFLAGS) -o $(IMAGE_ROOT)/usr/local/bin/fromscratch ./cmd/fromscratch
	chmod 0755 $(IMAGE_ROOT)/usr/local/bin/fromscratch
	$(if $(IMAGE_CA_BUNDLE),install -D -m 0644 $(IMAGE_CA_BUNDLE) $(IMAGE_ROOT)$(IMAGE_CA_BUNDLE))
	$(BIN) image --root $(IMAGE_ROOT) --add /tmp $(if $(IMAGE_CA_BUNDLE),--add $(IMAGE_CA_BUNDLE)) \
		--source-date-epoch $(IMAGE_EPOCH) --tag $(IMAGE_TAG) \
		--tarball $(IMAGE_OUT)/fromscratch.tar --oci-layout $(IMAGE_OUT)/fromscratch-oci \
		--digest-file $(IMAGE_OUT)/fromscratch.digest /usr/local/bin/fromscratch
	@ls -l $(IMAGE_OUT)/fromscratch.tar

clean:
	rm -rf bin out
