package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/fromscratch/fromscratch/collector"
	"github.com/fromscratch/fromscratch/image"
	"github.com/fromscratch/fromscratch/imageroot"
)

// fromProgram and fromAdds are what the web-server image is minified to:
// nginx, and what it reads beyond its closure (cmd/fromscratch's
// TestFromDocker makes such an image).
var (
	fromProgram = "/usr/sbin/nginx"
	fromAdds    = []string{"/etc/nginx", "/usr/share/nginx", "/usr/lib/nginx", "/var/www/html",
		"/var/log/nginx", "/var/lib/nginx", "/run", "/etc/passwd", "/etc/group"}
)

// fromSection minifies the docker image c.fromImage (a web server with
// nginx) from its docker save tarball — read, staged, resolved, written
// as a docker tarball — against `docker export | tar -x` of the same
// image, the floor for getting its files at all. Each run is a child
// process, whose peak RSS getrusage gives.
func fromSection(c *config) error {
	fmt.Printf("== --from %s: minify its docker save tarball (LoadSource + imageroot.New + Collect + Build + Write) against `docker export | tar -x` ==\n", c.fromImage)
	docker, err := exec.LookPath("docker")
	if err != nil {
		fmt.Println("  skipped: no docker client")
		return nil
	}
	if out, err := exec.Command(docker, "image", "inspect", "--format", "{{.Size}}", c.fromImage).CombinedOutput(); err != nil {
		fmt.Printf("  skipped: no image %s at DOCKER_HOST=%s (%s); -from-image names a web-server image with %s\n",
			c.fromImage, os.Getenv("DOCKER_HOST"), firstLine(string(out)), fromProgram)
		return nil
	}
	tmp, err := os.MkdirTemp("", "fromscratch-bench-from-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	save := filepath.Join(tmp, "src.tar")
	if out, err := exec.Command(docker, "save", "-o", save, c.fromImage).CombinedOutput(); err != nil {
		return fmt.Errorf("docker save: %v: %s", err, firstLine(string(out)))
	}
	out, err := exec.Command(docker, "create", c.fromImage, "true").Output()
	if err != nil {
		return fmt.Errorf("docker create: %w", err)
	}
	id := strings.TrimSpace(string(out))
	defer exec.Command(docker, "rm", id).Run()

	self, err := os.Executable()
	if err != nil {
		return err
	}
	var oursRSS, floorRSS int64
	var size string
	ours := &contender{name: "fromscratch --from", warm: true,
		run: func(round int) error {
			cmd := exec.Command(self, save, filepath.Join(tmp, "min.tar"))
			cmd.Env = append(os.Environ(), childEnv+"=from", "TMPDIR="+tmp)
			b, err := cmd.CombinedOutput()
			if err != nil {
				return fmt.Errorf("%v: %s", err, firstLine(string(b)))
			}
			oursRSS = max(oursRSS, peakRSS(cmd.ProcessState))
			size = strings.TrimSpace(string(b))
			return nil
		},
		after: func(int) error { return os.Remove(filepath.Join(tmp, "min.tar")) },
	}
	floor := &contender{name: "docker export | tar -x", warm: true, peer: true,
		run: func(round int) error {
			dir := filepath.Join(tmp, "export")
			if err := os.Mkdir(dir, 0o755); err != nil {
				return err
			}
			exp := exec.Command(docker, "export", id)
			tar := exec.Command("tar", "-x", "-C", dir)
			pipe, err := exp.StdoutPipe()
			if err != nil {
				return err
			}
			tar.Stdin = pipe
			if err := exp.Start(); err != nil {
				return err
			}
			if err := tar.Run(); err != nil {
				exp.Wait()
				return fmt.Errorf("tar -x: %w", err)
			}
			if err := exp.Wait(); err != nil {
				return fmt.Errorf("docker export: %w", err)
			}
			floorRSS = max(floorRSS, peakRSS(exp.ProcessState), peakRSS(tar.ProcessState))
			return nil
		},
		after: func(int) error { return os.RemoveAll(filepath.Join(tmp, "export")) },
	}
	if err := interleave(c.rounds, ours, floor); err != nil {
		return err
	}
	ours.note = fmt.Sprintf("peak RSS %s; %s", mb(oursRSS), size)
	floor.note = fmt.Sprintf("peak RSS %s (the larger of docker and tar)", mb(floorRSS))
	table(ours, floor)
	printRatio("fromscratch --from / export|tar -x", ours, floor)
	if oursRSS > 0 && floorRSS > 0 {
		fmt.Printf("  %-*s %5.2f×\n", labelWidth, "peak RSS, ours / the floor's:", float64(oursRSS)/float64(floorRSS))
	}
	return nil
}

// peakRSS is the peak resident set of a finished process, in bytes.
func peakRSS(ps *os.ProcessState) int64 {
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		return ru.Maxrss * 1024
	}
	return 0
}

// fromChild minifies the image in the docker tarball args[0] to the
// docker tarball args[1] and prints the sizes.
func fromChild(args []string) error {
	if len(args) != 2 {
		return errors.New("from: want SRC.tar OUT.tar")
	}
	ctx := context.Background()
	src, err := image.LoadSource(ctx, args[0], nil)
	if err != nil {
		return err
	}
	staged, err := imageroot.New(src)
	if err != nil {
		return err
	}
	defer staged.Close()
	opts := []collector.Option{collector.WithRoot(staged.Root())}
	for _, a := range fromAdds {
		opts = append(opts, collector.WithAdd(a, a))
	}
	plan, err := collector.Collect([]string{fromProgram}, opts...)
	if err != nil {
		return err
	}
	if m := plan.Graph.Missing(); len(m) > 0 {
		return fmt.Errorf("%s: %d libraries missing", fromProgram, len(m))
	}
	img, err := image.Build(plan, image.WithSource(args[0], staged.Digest(), staged.Config()))
	if err != nil {
		return err
	}
	if _, err := image.Write(ctx, img, image.Tarball(args[1], "fromscratch-bench-min:latest")); err != nil {
		return err
	}
	before, err := image.LayersSize(src)
	if err != nil {
		return err
	}
	after, err := image.LayersSize(img)
	if err != nil {
		return err
	}
	fmt.Printf("image %s → %s (layers)", mb(before), mb(after))
	return nil
}
