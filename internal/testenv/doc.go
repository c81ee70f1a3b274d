// Package testenv holds the helpers that fromscratch's integration tests
// share: they check for tools and services, compile C test programs, run
// programs on the host, in a chroot, under runc and in Docker, build Debian
// sysroots for amd64 and arm64, and digest directory trees.
//
// # Skip locally, fail in CI
//
// A test that needs something this machine lacks (a command, root, the Docker
// daemon, qemu) calls one of the Need functions. Outside CI the test is
// skipped with the reason; when the CI environment variable is set (as
// .ci/run does) it fails instead, so CI can never pass by skipping.
//
// # Services
//
// .ci/services starts a private dockerd and a registry and exports their
// addresses; `make test` and .ci/run both use it. The tests read:
//
//	FROMSCRATCH_TEST_DOCKER_HOST  DOCKER_HOST of the private daemon (unix://…)
//	FROMSCRATCH_TEST_DOCKER       the docker client to use (default /usr/bin/docker)
//	FROMSCRATCH_TEST_REGISTRY     host:port of a plain-HTTP registry on 127.0.0.1
//	FROMSCRATCH_TEST_CACHE        where sysroots are cached across test
//	                              binaries (default $TMPDIR/fromscratch-test-cache)
//	CI                            set: missing tools fail tests instead of skipping
//
// # Running programs
//
// RunHost, RunChroot and RunRunc all take the program's whole environment and
// its standard input and return its standard output, standard error and exit
// status (128+N for a signal), so a test can compare the three. RunChroot and
// RunRunc never change the rootfs they are given: it is the read-only lower
// layer of an overlay that lives only in a private mount namespace.
package testenv
