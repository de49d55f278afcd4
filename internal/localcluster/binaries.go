package localcluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// EnsureBinaries returns the folder holding the control plane binaries. LOCALCLUSTER_BIN_DIR wins when
// set; otherwise it runs <repo>/hack/build-cluster.sh, which returns at once when the versioned cache is
// complete and otherwise builds (minutes, progress on progress).
func EnsureBinaries(ctx context.Context, progress io.Writer) (string, error) {
	if d := os.Getenv("LOCALCLUSTER_BIN_DIR"); d != "" {
		return d, nil
	}
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	if progress == nil {
		progress = io.Discard
	}
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, filepath.Join(root, "hack", "build-cluster.sh"))
	cmd.Stdout, cmd.Stderr = &out, progress
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("hack/build-cluster.sh: %w", err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	return lines[len(lines)-1], nil
}

// RepoRoot finds the aimlite module root by walking up from the working directory (go test runs in the
// package folder).
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && bytes.HasPrefix(b, []byte("module github.com/aimlite/aimlite\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("localcluster: not inside the aimlite repository")
		}
		dir = parent
	}
}
