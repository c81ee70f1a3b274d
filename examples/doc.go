// Package examples holds what README.md shows users, kept working by its
// tests: the builder-stage Dockerfile (examples/builder-stage), built and
// run in Docker; fromscratch's own image (make image); the Go API example;
// and the CLI reference, which must equal the commands' --help.
package examples
