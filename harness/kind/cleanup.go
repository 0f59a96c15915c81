package kind

import (
	"context"
	"errors"
	"fmt"
	"github.com/zdt-dev/zdt/harness/kind/internal/dockercli"
	"strings"

	"sigs.k8s.io/kind/pkg/cluster"
)

// remove deletes what one run created: the edge load balancer, the management kind cluster,
// then the workload cluster's containers (the Docker provider stopped with the management
// cluster, so they are removed directly rather than through Cluster API).
func remove(ctx context.Context, kp *cluster.Provider, names Names) error {
	var errs []error
	if _, err := dockercli.Run(ctx, nil, "rm", "-f", "-v", names.EdgeLB); err != nil && !strings.Contains(err.Error(), "No such container") {
		errs = append(errs, err)
	}
	if err := kp.Delete(names.Management, ""); err != nil {
		errs = append(errs, fmt.Errorf("delete kind cluster %s: %w", names.Management, err))
	}
	if err := removeLabelled(ctx, dockercli.ClusterLabel+"="+names.Workload); err != nil {
		errs = append(errs, err)
	}
	// Fault agents still running (they share a workload node's network namespace).
	if err := removeLabelled(ctx, dockercli.LabelRun+"="+names.Workload); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Leftover is a container zdt created that still exists.
type Leftover struct {
	Name, Cluster string
}

// Leftovers lists every container zdt created: kind and Docker provider nodes and load
// balancers of clusters named zdt-mgmt-* and zdt-wl-*, and containers labelled dev.zdt.owned.
func Leftovers(ctx context.Context) ([]Leftover, error) {
	out, err := dockercli.Run(ctx, nil, "ps", "-a", "--format", `{{.Names}}	{{.Label "`+dockercli.ClusterLabel+`"}}	{{.Label "`+dockercli.LabelOwned+`"}}`)
	if err != nil {
		return nil, err
	}
	var left []Leftover
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Split(l, "\t")
		if len(f) < 3 {
			continue
		}
		if ours(f[1]) || f[2] == "true" {
			left = append(left, Leftover{Name: f[0], Cluster: f[1]})
		}
	}
	return left, nil
}

// Cleanup removes every leftover container (kind clusters through kind, so that kind forgets
// them too) and returns what it removed.
func Cleanup(ctx context.Context) ([]Leftover, error) {
	left, err := Leftovers(ctx)
	if err != nil || len(left) == 0 {
		return nil, err
	}
	kp := cluster.NewProvider(cluster.ProviderWithDocker())
	var errs []error
	if clusters, err := kp.List(); err == nil {
		for _, c := range clusters {
			if ours(c) {
				if err := kp.Delete(c, ""); err != nil {
					errs = append(errs, fmt.Errorf("delete kind cluster %s: %w", c, err))
				}
			}
		}
	}
	var names []string
	for _, l := range left {
		names = append(names, l.Name)
	}
	if _, err := dockercli.Run(ctx, nil, append([]string{"rm", "-f", "-v"}, names...)...); err != nil && !strings.Contains(err.Error(), "No such container") {
		errs = append(errs, err)
	}
	return left, errors.Join(errs...)
}

// ours tells whether a kind or Cluster API cluster name is one zdt's runs create.
func ours(cluster string) bool {
	return strings.HasPrefix(cluster, managementPrefix) || strings.HasPrefix(cluster, workloadPrefix)
}

func removeLabelled(ctx context.Context, label string) error {
	names, err := dockercli.Labelled(ctx, label)
	if err != nil || len(names) == 0 {
		return err
	}
	_, err = dockercli.Run(ctx, nil, append([]string{"rm", "-f", "-v"}, names...)...)
	return err
}
