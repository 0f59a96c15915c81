package capi

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/zdt-dev/zdt/harness/internal/kube"
)

// dumpTimeout bounds the dump Close makes.
const dumpTimeout = 3 * time.Minute

// Dump writes what a run needs looking at afterwards into dir: every object of the management
// cluster and of the workload cluster (Secrets left out; the Cluster API objects, nodes, pods,
// events, PDBs...) under dir/management/objects and dir/workload/objects, and the logs of every
// pod of both (the Cluster API controllers', the system pods', the workloads') under .../logs.
// It goes on past what it cannot read and returns those errors joined.
func (c *Cluster) Dump(ctx context.Context, dir string) error {
	var errs []error
	if cfg := c.w.mgmtConfig; cfg != nil {
		errs = append(errs, kube.DumpResources(ctx, cfg, filepath.Join(dir, "management", "objects")))
		if cs, err := kubernetes.NewForConfig(cfg); err == nil {
			errs = append(errs, kube.DumpPodLogs(ctx, cs, filepath.Join(dir, "management", "logs")))
		} else {
			errs = append(errs, err)
		}
	}
	if cfg := c.w.workloadConfig; cfg != nil {
		errs = append(errs, kube.DumpResources(ctx, cfg, filepath.Join(dir, "workload", "objects")))
	}
	errs = append(errs, kube.DumpPodLogs(ctx, c.w.workload, filepath.Join(dir, "workload", "logs")))
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("dump the clusters: %w", err)
	}
	return nil
}

// Management is the management cluster's REST config (nil when the adapter was made without
// one, in tests).
func (c *Cluster) Management() *rest.Config { return c.w.mgmtConfig }
