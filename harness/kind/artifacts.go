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
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/test/framework"

	"github.com/zdt-dev/zdt/harness/capi"
	"github.com/zdt-dev/zdt/harness/kind/internal/dockercli"
)

// A kind run's artifacts/ (in its run directory) holds what a failed run needs looking at
// afterwards: the objects and pod logs of both clusters (capi.Cluster.Dump, at Close); for every
// workload machine, what Cluster API's test framework collects from a CAPD machine
// (framework.DockerLogCollector: the whole journal, the kernel's, the kubelet's and
// containerd's, kubelet --version, crictl info and /var/log/pods) under machines/MACHINE/, and
// the API load balancer's container under infrastructure/; the management node's kubelet and
// containerd journals under machines/NODE/. A machine the upgrade removed keeps its kubelet and
// containerd journals as of its last moments (they are taken every 15 s while it is being
// deleted: the collector's full set, run that often, would take the CPU the load generator
// needs). zdt run keeps artifacts/ when the run does not PASS, or with --artifacts.

// artifactsTimeout bounds the logs taken at the end of a run.
const artifactsTimeout = 3 * time.Minute

// journalUnits are the services whose journal is kept per machine, in the files
// framework.DockerLogCollector names them.
var journalUnits = map[string]string{"kubelet": "kubelet.log", "containerd": "containerd.log"}

// machineJournals writes the kubelet's and containerd's journals of a node container into
// dir/machines/CONTAINER/.
func machineJournals(ctx context.Context, container, dir string) error {
	var errs []error
	for unit, file := range journalUnits {
		out, err := dockercli.Run(ctx, nil, "exec", container, "journalctl", "-u", unit, "--no-pager", "-o", "short-precise")
		if err != nil {
			errs = append(errs, fmt.Errorf("journal of %s on %s: %w", unit, container, err))
			continue
		}
		path := filepath.Join(dir, "machines", container, file)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// managementContainers lists the running node containers of the management cluster.
func managementContainers(ctx context.Context, names Names) ([]string, error) {
	out, err := dockercli.Run(ctx, nil, "ps", "--format", "{{.Names}}")
	if err != nil {
		return nil, fmt.Errorf("docker ps: %w", err)
	}
	var cs []string
	for _, n := range strings.Fields(out) {
		if strings.HasPrefix(n, names.Management+"-") {
			cs = append(cs, n)
		}
	}
	return cs, nil
}

// machineContainer is the container CAPD runs a Machine in (its MachineContainerName rule).
func machineContainer(m *clusterv1.Machine) string {
	if strings.HasPrefix(m.Name, m.Spec.ClusterName) {
		return m.Name
	}
	return m.Spec.ClusterName + "-" + m.Name
}

// keepDeletingJournals takes, every interval until ctx ends, the journals of the machines being
// deleted, so that a machine the upgrade removes leaves its last logs.
func keepDeletingJournals(ctx context.Context, mgmt client.Reader, cluster, dir string, interval time.Duration) {
	every(ctx, interval, func() {
		ms, err := capi.DeletingMachines(ctx, mgmt, metav1.NamespaceDefault, cluster)
		if err != nil {
			return
		}
		for i := range ms {
			_ = machineJournals(ctx, machineContainer(&ms[i]), dir) // gone already: its last journal stays
		}
	})
}

// writeMachineLogs writes every workload machine's logs with Cluster API's DockerLogCollector,
// the API load balancer's, and the management node's journals; the adapter's Close then dumps
// the clusters' objects and pod logs.
func (c *kindCluster) writeMachineLogs(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, artifactsTimeout)
	defer cancel()
	var errs []error
	if cfg := c.Management(); cfg != nil {
		errs = append(errs, collectWorkloadLogs(ctx, cfg, c.names.Workload, c.artifacts))
	}
	containers, err := managementContainers(ctx, c.names)
	errs = append(errs, err)
	for _, n := range containers {
		errs = append(errs, machineJournals(ctx, n, c.artifacts))
	}
	return errors.Join(errs...)
}

// collectWorkloadLogs is the part of the test framework's ClusterProxy.CollectWorkloadClusterLogs
// that returns its errors (that method fails through Gomega): each Machine's logs and the
// Cluster's infrastructure logs, with framework.DockerLogCollector.
func collectWorkloadLogs(ctx context.Context, cfg *rest.Config, cluster, dir string) error {
	c, err := capi.NewClient(cfg)
	if err != nil {
		return err
	}
	ms, err := capi.ClusterMachines(ctx, c, metav1.NamespaceDefault, cluster)
	if err != nil {
		return err
	}
	var lc framework.DockerLogCollector
	var errs []error
	for i := range ms {
		if err := lc.CollectMachineLog(ctx, c, &ms[i], filepath.Join(dir, "machines", ms[i].Name)); err != nil {
			errs = append(errs, fmt.Errorf("logs of machine %s: %w", ms[i].Name, err))
		}
	}
	var cl clusterv1.Cluster
	if err := c.Get(ctx, client.ObjectKey{Namespace: metav1.NamespaceDefault, Name: cluster}, &cl); err != nil {
		errs = append(errs, fmt.Errorf("cluster %s: %w", cluster, err))
	} else if err := lc.CollectInfrastructureLogs(ctx, c, &cl, filepath.Join(dir, "infrastructure")); err != nil {
		errs = append(errs, fmt.Errorf("infrastructure logs of %s: %w", cluster, err))
	}
	return errors.Join(errs...)
}
