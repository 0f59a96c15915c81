package build

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
)

// Docker runs the Docker CLI, as kind does: the CLI negotiates the API version with whatever
// daemon the machine has (Debian's 20.10 here), which a pinned client library would not.
type Docker struct {
	// Log receives the output of long steps (builds, imports); nil discards it.
	Log io.Writer
}

// Run runs docker with args, stdin from in (may be nil), and returns its trimmed stdout.
func (d Docker) Run(ctx context.Context, in io.Reader, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "docker", args...)
	cmd.Env = append(os.Environ(), "DOCKER_BUILDKIT=0")
	cmd.Stdin = in
	var out, errOut bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &errOut
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("docker %s: %w: %s", firstWords(args, 3), err, strings.TrimSpace(lastLines(errOut.String(), 5)))
	}
	return strings.TrimSpace(out.String()), nil
}

// Stream runs docker with args and copies its output to the log.
func (d Docker) Stream(ctx context.Context, args ...string) error {
	cmd := exec.CommandContext(ctx, "docker", args...)
	cmd.Env = append(os.Environ(), "DOCKER_BUILDKIT=0")
	var tail bytes.Buffer
	w := io.Writer(&tail)
	if d.Log != nil {
		w = io.MultiWriter(d.Log, &tail)
	}
	cmd.Stdout = w
	cmd.Stderr = w
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("docker %s: %w: %s", firstWords(args, 3), err, strings.TrimSpace(lastLines(tail.String(), 5)))
	}
	return nil
}

// Label returns the value of an image's label, or "" when the image or the label is missing.
func (d Docker) Label(ctx context.Context, ref, name string) string {
	out, err := d.Run(ctx, nil, "image", "inspect", "--format", fmt.Sprintf("{{index .Config.Labels %q}}", name), ref)
	if err != nil || out == "<no value>" {
		return ""
	}
	return out
}

// Exists reports whether the daemon has the image ref.
func (d Docker) Exists(ctx context.Context, ref string) bool {
	_, err := d.Run(ctx, nil, "image", "inspect", "--format", "{{.Id}}", ref)
	return err == nil
}

// Tag gives the image src the further name dst.
func (d Docker) Tag(ctx context.Context, src, dst string) error {
	_, err := d.Run(ctx, nil, "tag", src, dst)
	return err
}

// Pull tries to pull ref from its registry; the error says why it could not.
func (d Docker) Pull(ctx context.Context, ref string) error {
	_, err := d.Run(ctx, nil, "pull", "--quiet", ref)
	return err
}

// SaveInto pipes `docker save ref` into the stdin of `docker exec -i container cmd...`.
func (d Docker) SaveInto(ctx context.Context, ref, container string, cmdArgs ...string) error {
	save := exec.CommandContext(ctx, "docker", "save", ref)
	load := exec.CommandContext(ctx, "docker", append([]string{"exec", "-i", container}, cmdArgs...)...)
	pipe, err := save.StdoutPipe()
	if err != nil {
		return fmt.Errorf("pipe docker save: %w", err)
	}
	load.Stdin = pipe
	var saveErr, loadOut bytes.Buffer
	save.Stderr = &saveErr
	load.Stdout = &loadOut
	load.Stderr = &loadOut
	if err := save.Start(); err != nil {
		return fmt.Errorf("docker save %s: %w", ref, err)
	}
	if err := load.Run(); err != nil {
		_ = save.Wait()
		return fmt.Errorf("import %s into %s: %w: %s", ref, container, err, strings.TrimSpace(lastLines(loadOut.String(), 5)))
	}
	if err := save.Wait(); err != nil {
		return fmt.Errorf("docker save %s: %w: %s", ref, err, strings.TrimSpace(saveErr.String()))
	}
	return nil
}

func firstWords(args []string, n int) string {
	if len(args) > n {
		args = args[:n]
	}
	return strings.Join(args, " ")
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
