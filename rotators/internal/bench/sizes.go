package main

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// sizes are the binaries' sizes per variant and the image's, if measured.
type sizes struct {
	names      []string
	byVariant  map[string]map[string]int64 // variant key -> command -> bytes
	files      map[string]map[string]int64 // multi-call variant key -> binary (not link) -> bytes
	image      string                      // the image measured, "" if none
	imageNote  string                      // why not, or how
	imageBytes int64                       // uncompressed (podman's Size)
	imageGzip  int64                       // its layers gzipped, as a registry stores them
	awsFloor   int64                       // bytes of the AWS CLI's own files (Debian awscli), 0 if unknown
	awsNote    string                      // its version, or why it is unknown
}

func (b *bench) sizes(ctx context.Context) (*sizes, error) {
	names, err := commandNames(b.root)
	if err != nil {
		return nil, err
	}
	z := &sizes{byVariant: map[string]map[string]int64{}, files: map[string]map[string]int64{}}
	for _, v := range b.variants {
		z.byVariant[v.key] = map[string]int64{}
		if v.multi {
			if z.files[v.key], err = regularFiles(v.dir); err != nil {
				return nil, err
			}
		}
	}
	// Only commands every build has: one added to cmd/ since the builds is left out.
	for _, n := range names {
		got := map[string]int64{}
		for _, v := range b.variants {
			if st, err := os.Stat(v.bin(n)); err == nil { // follows the multi-call links
				got[v.key] = st.Size()
			}
		}
		if len(got) < len(b.variants) {
			continue
		}
		z.names = append(z.names, n)
		for k, size := range got {
			z.byVariant[k][n] = size
		}
	}
	z.awsFloor, z.awsNote = awsCLIFloor(ctx)
	if b.cfg.image == "" {
		z.imageNote = "not measured (-image \"\")"
		return z, nil
	}
	if err := z.measureImage(ctx, b.cfg.image, b.tmp); err != nil {
		z.imageNote = "not measured: " + err.Error()
	}
	return z, nil
}

// total is the sum over distinct files: a multi-call variant counts each
// of its binaries once, not once per link.
func (z *sizes) total(v *variant) int64 {
	var t int64
	if v.multi {
		for _, size := range z.files[v.key] {
			t += size
		}
		return t
	}
	for _, n := range z.names {
		t += z.byVariant[v.key][n]
	}
	return t
}

// regularFiles are the binaries in dir with their sizes, links left out.
func regularFiles(dir string) (map[string]int64, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	files := map[string]int64{}
	for _, e := range entries {
		if e.Type().IsRegular() {
			info, err := e.Info()
			if err != nil {
				return nil, err
			}
			files[e.Name()] = info.Size()
		}
	}
	return files, nil
}

// measureImage reads the image's size from podman and gzips each layer of
// `podman save` to get what a registry would store.
func (z *sizes) measureImage(ctx context.Context, image, tmp string) error {
	podman := []string{"--runtime", "runc", "--cgroup-manager=cgroupfs"}
	out, err := exec.CommandContext(ctx, "podman", append(podman, "image", "inspect", "--format", "{{.Size}}", image)...).Output()
	if err != nil {
		return fmt.Errorf("podman image inspect %s failed (build it with `make image`)", image)
	}
	if z.imageBytes, err = strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64); err != nil {
		return fmt.Errorf("podman size: %w", err)
	}
	archive := filepath.Join(tmp, "image.tar")
	defer os.Remove(archive)
	save := exec.CommandContext(ctx, "podman", append(podman, "save", "--format", "docker-archive", "-o", archive, image)...)
	if out, err := save.CombinedOutput(); err != nil {
		return fmt.Errorf("podman save: %w: %s", err, lastLine(string(out)))
	}
	if z.imageGzip, err = gzipLayers(archive); err != nil {
		return err
	}
	z.image = image
	z.imageNote = "podman image inspect (uncompressed); each layer of `podman save` gzipped (compressed)"
	return nil
}

// gzipLayers sums the gzip -6 size of every distinct layer tar in a
// docker-archive (podman 4.3 writes each layer twice, under two names).
func gzipLayers(archive string) (int64, error) {
	f, err := os.Open(archive)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	tr := tar.NewReader(f)
	var total int64
	seen := map[[sha256.Size]byte]bool{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return 0, fmt.Errorf("read image archive: %w", err)
		}
		if !strings.HasSuffix(h.Name, ".tar") {
			continue
		}
		cw, sum := &countWriter{}, sha256.New()
		gz, _ := gzip.NewWriterLevel(cw, gzip.DefaultCompression)
		if _, err := io.Copy(io.MultiWriter(gz, sum), tr); err != nil {
			return 0, err
		}
		if err := gz.Close(); err != nil {
			return 0, err
		}
		if key := [sha256.Size]byte(sum.Sum(nil)); !seen[key] {
			seen[key] = true
			total += cw.n
		}
	}
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return len(p), nil
}

// awsCLIFloor sums the regular files of Debian's awscli package (the AWS CLI
// v2 the bench runs): its own code and data, without the Python runtime and
// libraries it needs nor an OS. The official amazon/aws-cli image, which
// cannot be pulled here, holds all of that and more (its own Python and an
// Amazon Linux base), so this is a lower bound of its uncompressed size.
func awsCLIFloor(ctx context.Context) (int64, string) {
	out, err := exec.CommandContext(ctx, "dpkg", "-L", "awscli").Output()
	if err != nil {
		return 0, "Debian's awscli not installed (scripts/install-deps.sh)"
	}
	var total int64
	for _, path := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if st, err := os.Lstat(path); err == nil && st.Mode().IsRegular() {
			total += st.Size()
		}
	}
	ver, _ := exec.CommandContext(ctx, "dpkg-query", "-W", "-f=${Version}", "awscli").Output()
	return total, "Debian awscli " + string(ver)
}
