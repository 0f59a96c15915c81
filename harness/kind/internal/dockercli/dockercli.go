// Package dockercli runs the docker command for the kind provider, and holds the labels on the
// containers a run creates.
package dockercli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os/exec"
	"strings"
)

// Labels on containers. ClusterLabel is the one kind and the Docker provider put on a cluster's
// containers; zdt marks what it created with LabelOwned and names the run (the workload
// cluster) with LabelRun, so that `zdt cleanup` and users can find them.
const (
	ClusterLabel = "io.x-k8s.kind.cluster"
	LabelOwned   = "dev.zdt.owned"
	LabelRun     = "dev.zdt.run"
)

// Run runs the docker command and returns its standard output.
func Run(ctx context.Context, stdin io.Reader, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "docker", args...)
	cmd.Stdin = stdin
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("docker %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(errb.String()))
	}
	return out.String(), nil
}

// PublishedPort returns the 127.0.0.1:PORT a container's TCP port is published on.
func PublishedPort(ctx context.Context, container string, port int) (string, error) {
	out, err := Run(ctx, nil, "port", container, fmt.Sprintf("%d/tcp", port))
	if err != nil {
		return "", err
	}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		_, p, err := net.SplitHostPort(strings.TrimSpace(l))
		if err == nil && p != "" {
			return "127.0.0.1:" + p, nil
		}
	}
	return "", fmt.Errorf("port %d of %s is not published: %q", port, container, out)
}

// Labelled returns the IDs and names of every container, running or not, that
// carries label (key or key=value).
func Labelled(ctx context.Context, label string) ([]string, error) {
	out, err := Run(ctx, nil, "ps", "-a", "--filter", "label="+label, "--format", "{{.Names}}")
	if err != nil {
		return nil, err
	}
	return strings.Fields(out), nil
}
