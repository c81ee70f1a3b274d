// Package runcache keeps what a command that only reads printed, with
// what it read, so that the same command run again over unchanged files
// prints the same without doing the work: go test's cache of test results,
// for `fromscratch deps`.
//
// An entry is found by a Key (the command line, environment, working
// directory, credentials and the executable itself) and is used only if
// every Input the run read (elfscan.InputLog: each path looked up, listed
// or opened, or found missing) lstat's as it did: same inode, size, mode
// and modification and change times, or the same error. A run whose
// inputs changed less than Granularity before it ended is not kept: a
// filesystem's timestamps are coarse, and a second write within the same
// tick would not show. An entry that cannot be read, is truncated or
// fails its checksum is a miss; the cache never makes a run fail.
package runcache
