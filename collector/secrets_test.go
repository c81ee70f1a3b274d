package collector_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fromscratch/fromscratch/collector"
	"github.com/fromscratch/fromscratch/trace"
)

// A traced run that reads credentials (a docker config.json, an SSH
// private key…) or anything in the invoking user's home does not put them
// into the plan: each is left out with a warning naming it, unless WithAdd
// names it. The run is real: a shell reads the files of a fake home.
func TestTracedLeavesOutSecrets(t *testing.T) {
	home, other := t.TempDir(), t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("SUDO_USER", "")
	write := func(p, content string) string {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	dockerConfig := write(filepath.Join(home, ".docker/config.json"), `{"auths":{"r.example":{"auth":"dXNlcjpzM2NyM3Q="}}}`)
	notes := write(filepath.Join(home, "notes.txt"), "private\n")
	added := write(filepath.Join(home, "app/data.txt"), "data\n")
	key := write(filepath.Join(other, ".ssh/id_ed25519"), "-----BEGIN OPENSSH PRIVATE KEY-----\n")
	pub := write(filepath.Join(other, ".ssh/id_ed25519.pub"), "ssh-ed25519 AAAA\n")
	aws := write(filepath.Join(other, ".aws/credentials"), "[default]\naws_secret_access_key = s3cr3t\n")
	netrc := write(filepath.Join(other, ".netrc"), "machine x login u password s3cr3t\n")
	plain := write(filepath.Join(other, "data.txt"), "plain\n")
	link := filepath.Join(other, "config-link")
	if err := os.Symlink(dockerConfig, link); err != nil {
		t.Fatal(err)
	}

	argv := []string{"/bin/sh", "-c", `cat "$@" >/dev/null`, "sh", dockerConfig, notes, added, key, pub, aws, netrc, plain, link}
	var stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := trace.Run(ctx, argv, &trace.Options{Env: []string{"HOME=" + home, "PATH=/usr/bin:/bin"}, Stderr: &stderr, Dir: "/"})
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("trace %q: %v, exit %v: %s", argv, err, res, stderr.Bytes())
	}
	plan := collect(t, []string{"/bin/sh"}, collector.WithTraced(tracedFiles(res)...), collector.WithAdd(added, ""))

	warnings := warningText(plan.Warnings)
	for p, why := range map[string]string{
		dockerConfig: "registry credentials",
		notes:        "home directory",
		key:          "SSH private key",
		aws:          "AWS credentials",
		netrc:        ".netrc",
		link:         "registry credentials",
	} {
		if e := plan.Lookup(p); e != nil {
			t.Errorf("%s planned (%s): %q", p, e.Kind, e.Reasons)
		}
		n := 0
		for _, w := range plan.WarningsOf(collector.WarnLeftOut) {
			if w.Path == p {
				n++
				if !strings.Contains(w.Text, why) || !strings.Contains(w.Text, "WithAdd") {
					t.Errorf("warning %q: want it to say %q and WithAdd", w, why)
				}
			}
		}
		if n != 1 {
			t.Errorf("%d warnings name %s, want 1:\n%s", n, p, warnings)
		}
	}
	for _, p := range []string{pub, plain, added} {
		if plan.Lookup(p) == nil {
			t.Errorf("%s not planned", p)
		}
		if _, ok := warnedAbout(plan, collector.WarnLeftOut, p); ok {
			t.Errorf("a warning about %s:\n%s", p, warnings)
		}
	}
	if plan.Lookup(filepath.Join(home, ".docker")) != nil {
		t.Errorf("%s/.docker planned", home)
	}
}
