// Command bench measures fromscratch against the tools people use instead,
// in one run, and prints the ratios the issues ask for. Every section has
// a one-line header, a table and its ratios, with the target where there
// is one:
//
//	closure  the libraries of every dynamic program in a directory (default
//	         /usr/bin), resolved in one process, against
//	           loader loop  env -i LD_TRACE_LOADED_OBJECTS=1 ld.so FILE, once
//	                        per file (what `for f in /usr/bin/*; do ldd $f;
//	                        done` costs); target: 20× faster
//	           lddtree      /usr/bin/python3 /usr/bin/lddtree -l FILE…, one
//	                        call (it takes seconds: one run, not -rounds)
//	           u-root ldd   github.com/u-root/u-root/pkg/ldd.List(FILE) in
//	                        this process, once per file (it runs INTERP
//	                        --list FILE)
//	         and, as a user meets it, the fromscratch command built and run
//	         as a process on all the files (process start included):
//	         deps --list (target: 40× faster than the loader loop) and
//	         deps with the rules on (target: 25×); the same closure in
//	         process with every file's imports and dlopen notes read; and
//	         the floor, a loop that only opens each file of the closure and
//	         preads its headers and dynamic segment. Then our memory (peak
//	         RSS, bytes allocated) and, from a run of the same resolution
//	         under trace, how often each object was opened (elfscan
//	         exposes no count of its own)
//	rootfs   collector.Collect + collector.WriteDir of /usr/bin/curl against
//	         lddtree --copy-to-tree of the same program, a fresh directory
//	         each run; the sizes of both trees
//	image    image.Build + image.Write to a docker tarball of curl's plan
//	         against `tar -c FILES | gzip -1 > /dev/null` of the plan's files;
//	         target: no slower than that floor; compressed and uncompressed
//	         sizes
//	layers   the same image of curl with --layering auto (the loader and
//	         libc, each shared library, the program) against one layer:
//	         times and tarball sizes as ratios
//	trace    file-heavy commands traced with trace.Run, against the same
//	         commands untraced (os/exec) and under `strace -f -e trace=%file
//	         -o /dev/null` (and strace --seccomp-bpf, which stops only at the
//	         traced calls, as trace.Run does)
//	check    image builds of curl and of a Python program (Collect,
//	         image.Build, image.Write to a tarball) with and without
//	         check.Run of the plan, as a ratio; and the sandbox's fixed
//	         cost: check.Run of /usr/bin/true (with and without the run in
//	         the source root) against running it
//	from     minifying -from-image (a web server with nginx, in the docker
//	         daemon at $DOCKER_HOST; skipped when there is none): its docker
//	         save tarball read, staged, resolved and written as a docker
//	         tarball, in a child process, against `docker export | tar -x`
//	         of the same image, the floor for getting its files at all;
//	         wall, CPU and peak RSS of both, as ratios
//
// The contenders of a section run in interleaved rounds (-rounds), so that
// load on the machine hits them alike, after one warm-up run each (not in
// closure, whose first run gives our peak RSS). The tables give the minimum
// and the median of the wall and the CPU time (user + system, from
// getrusage: this process's and its waited-for children's); the ratios are
// of the medians (and of the minimum walls), and a target is judged on the
// median wall time. A peer that cannot run (lddtree or strace missing)
// prints "skipped: why" and the rest goes on; a failure of fromscratch's
// own code makes the command exit 1.
//
// Run it with `go run ./bench` (make bench); -only selects sections.
package main
