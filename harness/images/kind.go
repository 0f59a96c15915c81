package images

import (
	"context"
	"fmt"
	"io"
	"os/exec"

	"sigs.k8s.io/kind/pkg/cluster"
	"sigs.k8s.io/kind/pkg/cluster/nodeutils"
)

// LoadIntoKind loads images of the host's Docker into the containerd of every node of a kind
// cluster (what `kind load docker-image` does), so that pods start them without a registry.
func LoadIntoKind(ctx context.Context, clusterName string, refs []string) error {
	provider := cluster.NewProvider(cluster.ProviderWithDocker())
	nodes, err := provider.ListInternalNodes(clusterName)
	if err != nil {
		return fmt.Errorf("list the nodes of kind cluster %s: %w", clusterName, err)
	}
	if len(nodes) == 0 {
		return fmt.Errorf("kind cluster %s has no nodes", clusterName)
	}
	for _, ref := range refs {
		for _, n := range nodes {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := loadInto(ctx, ref, func(r io.Reader) error { return nodeutils.LoadImageArchive(n, r) }); err != nil {
				return fmt.Errorf("load %s into %s: %w", ref, n, err)
			}
		}
	}
	return nil
}

// loadInto streams `docker save ref` into load.
func loadInto(ctx context.Context, ref string, load func(io.Reader) error) error {
	save := exec.CommandContext(ctx, "docker", "save", ref)
	out, err := save.StdoutPipe()
	if err != nil {
		return fmt.Errorf("pipe docker save: %w", err)
	}
	if err := save.Start(); err != nil {
		return fmt.Errorf("docker save: %w", err)
	}
	loadErr := load(out)
	// Drain what load left so that docker save ends.
	_, _ = io.Copy(io.Discard, out)
	if err := save.Wait(); err != nil {
		return fmt.Errorf("docker save: %w", err)
	}
	return loadErr
}

// ComponentImages returns the images of the Cluster API components zdt builds.
func ComponentImages() []string {
	var refs []string
	for _, p := range Components() {
		refs = append(refs, p.Image)
	}
	return refs
}
