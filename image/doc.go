// Package image turns a collector.Plan into a container image and writes
// it out, as a thin layer over go-containerregistry:
//
//	plan ──Layer──► v1.Layer ──Build──► v1.Image ──Write──► OCI layout, docker tarball, registry, digest file
//
// # Layer
//
// Layer streams the plan's entries, in plan order, into a tar (no
// temporary root filesystem): owner 0:0 without names, the modes of the
// plan (setuid bits as the collector gave them), one mtime (WithTime,
// default the epoch; ParseSourceDateEpoch reads SOURCE_DATE_EPOCH), no
// atime or ctime, USTAR headers or PAX where a name or size needs it.
// The plan's "/" entry, if any, is not written: the root directory is the
// runtime's. A plan that breaks Plan.Check fails before a byte is written.
//
// The tar is compressed once, gzip (klauspost/compress level 2: half the
// CPU time of `gzip -1`) or zstd, while its diff ID and digest are hashed in the
// same pass; the compressed bytes are kept (in memory, or an unlinked
// temporary file past 32 MiB) and every output reads them. Compare
// tarball.LayerFromOpener, which reads the source three times to make a
// layer and compresses again on every Compressed call. Compression runs on
// one goroutine, so the bytes never depend on GOMAXPROCS.
//
// WriteTar writes the same uncompressed tar, for `--tar` and tests.
//
// # Image
//
// Build makes the image: the layer on an empty OCI image (or on a base,
// WithBase; LoadBase reads one from an OCI layout, a docker tarball or a
// registry, picking the plan's platform from an index), with a config for
// the plan's platform, the first program as entrypoint, PATH and the
// plan's Env, a history entry by "fromscratch", and the WithTime time as
// created time. Options set the rest: WithEntrypoint, WithCmd, WithEnv,
// WithUser (NonRootUser), WithWorkingDir, WithLabels, WithAnnotations,
// WithPlatform. Every LayerOption is also an Option.
//
// The same plan and options give the same digest, whatever the machine
// load, GOMAXPROCS, TMPDIR or output.
//
// # Outputs
//
// Write writes an image to any number of outputs at once (OCILayout,
// Tarball, Registry, DigestFile) and returns its digest; WriteOCILayout,
// WriteTarball, Push and WriteDigestFile write one. Nothing is left half
// written: every output is checked first, written beside its final name,
// and renamed into place only when all are written (registries, which
// cannot be undone, are pushed after the local outputs are written). See
// OCILayout for what adding to an existing layout guarantees.
//
// # SBOMs
//
// WithSBOM attaches SBOMs (package sbom makes them) to the image Build
// makes; Write puts each beside it as an OCI referrer whose subject is
// the image: in index.json of a layout, and in a registry by its
// referrers API or, where it has none, the referrers tag schema and the
// sha256-DIGEST.sbom tag of cosign and ko (WithAttachedReport says which).
// Referrers returns those manifests.
package image
