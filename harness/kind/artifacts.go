package kind

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"

	"github.com/zdt-dev/zdt/harness/capi"
)

// A kind run's artifacts/ (in its run directory) holds what a failed run needs looking at
// afterwards: the objects and pod logs of both clusters (capi.Cluster.Dump, at Close), and the kubelet's
// and containerd's journal of every machine under machines/NAME/, a machine the upgrade removed
// as of its last moments (its journal is taken every 15 s while it is being deleted). zdt run
// keeps it when the run does not PASS, or with --artifacts.

// journalTimeout bounds the journals taken at the end of a run.
const journalTimeout = 2 * time.Minute

// journalUnits are the services whose journal is kept per machine.
var journalUnits = []string{"kubelet", "containerd"}

// machineJournals writes the journals of a node container into dir/machines/CONTAINER/.
func machineJournals(ctx context.Context, container, dir string) error {
	var errs []error
	for _, unit := range journalUnits {
		out, err := docker(ctx, nil, "exec", container, "journalctl", "-u", unit, "--no-pager", "-o", "short-precise")
		if err != nil {
			errs = append(errs, fmt.Errorf("journal of %s on %s: %w", unit, container, err))
			continue
		}
		path := filepath.Join(dir, "machines", container, unit+".log")
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// runContainers lists the running node containers of a run: the management cluster's node
// and the workload cluster's machines (not the load balancers, which have no journal).
func runContainers(ctx context.Context, names Names) ([]string, error) {
	out, err := docker(ctx, nil, "ps", "--format", "{{.Names}}")
	if err != nil {
		return nil, fmt.Errorf("docker ps: %w", err)
	}
	var cs []string
	for _, n := range strings.Fields(out) {
		switch {
		case n == names.EdgeLB, n == names.Workload+"-lb":
		case strings.HasPrefix(n, names.Management+"-"), strings.HasPrefix(n, names.Workload+"-"):
			cs = append(cs, n)
		}
	}
	return cs, nil
}

// keepDeletingJournals takes, every interval until ctx ends, the journals of the machines being
// deleted, so that a machine the upgrade removes leaves its last logs.
func keepDeletingJournals(ctx context.Context, mgmt dynamic.Interface, cluster, dir string, interval time.Duration) {
	every(ctx, interval, func() {
		ms, err := capi.DeletingMachines(ctx, mgmt, metav1.NamespaceDefault, cluster)
		if err != nil {
			return
		}
		for _, m := range ms {
			if m.InfraName != "" {
				_ = machineJournals(ctx, m.InfraName, dir) // gone already: its last journal stays
			}
		}
	})
}

// writeJournals writes every running machine's journals; the adapter's Close dumps the
// clusters' objects and logs.
func (c *kindCluster) writeJournals(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, journalTimeout)
	defer cancel()
	containers, err := runContainers(ctx, c.names)
	errs := []error{err}
	for _, n := range containers {
		errs = append(errs, machineJournals(ctx, n, c.artifacts))
	}
	return errors.Join(errs...)
}
