// Package predictcmd implements `zdt predict`.
package predictcmd

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	utilversion "k8s.io/apimachinery/pkg/util/version"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/zdt-dev/zdt/cmd/zdt/app/cli"
	"github.com/zdt-dev/zdt/harness/capi"
	"github.com/zdt-dev/zdt/harness/predict"
	"github.com/zdt-dev/zdt/scenarios"
)

// NewCommand returns `zdt predict`.
func NewCommand(streams cli.IOStreams) *cobra.Command {
	var kubeconfig, kubeContext, cluster, to, out, base string
	var seeds, parallel int
	cmd := &cobra.Command{
		Use:   "predict --kubeconfig FILE [--cluster NAMESPACE/NAME] --to VERSION",
		Short: "Predict what upgrading a live cluster would do to its workloads (read-only digital twin)",
		Long: `Read a live cluster, read-only (it only lists objects): its nodes grouped into pools (Cluster
API MachineDeployment, EKS, AKS or GKE node pool labels), their allocatable capacity and zones,
the control plane size, and every Deployment, StatefulSet, DaemonSet, PodDisruptionBudget (with
its live status), Service and HorizontalPodAutoscaler outside the kube-* namespaces. zdt builds
the scenario of the upgrade to --to (as zdt scenario import does, assumptions as comments),
writes it to --output so that it can be edited and rerun with zdt run or zdt strategies, plays
it on the simulator over --seeds seeds, and prints per workload the predicted dropped requests,
the longest PDB stall with the blocking PDB, the lowest ready replicas, the estimated upgrade
duration, and the failed criteria with their fixes.

With --cluster, --kubeconfig is the Cluster API management cluster's: zdt reads the Cluster,
its KubeadmControlPlane, MachineDeployments and Machines (pools are the MachineDeployments,
each rolled with its own maxSurge, maxUnavailable and nodeDrainTimeout; the version is
spec.topology.version), and reaches the workload cluster through the Secret NAME-kubeconfig.
The twin is then the scenario zdt run --provider kubeconfig --cluster NAMESPACE/NAME would
measure on that cluster.

Exit codes: 0 every seed passed, 1 a seed failed, 2 bad input, 3 inconclusive.`,
		Example: `  zdt predict --kubeconfig ~/.kube/config --to v1.36.3
  zdt predict --kubeconfig prod.kubeconfig --to v1.37.2 --seeds 50 -o prod-twin.yaml
  zdt predict --kubeconfig mgmt.kubeconfig --cluster default/prod-1 --to v1.37.2`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if kubeconfig == "" {
				return cli.BadInput(fmt.Errorf("--kubeconfig: give the kubeconfig of the cluster to predict"))
			}
			if to == "" {
				return cli.BadInput(fmt.Errorf("--to: give the Kubernetes version to upgrade to, e.g. v1.36.3"))
			}
			if seeds < 1 {
				return cli.BadInput(fmt.Errorf("--seeds: %d; give at least 1", seeds))
			}
			rules := &clientcmd.ClientConfigLoadingRules{ExplicitPath: kubeconfig}
			cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: kubeContext}).ClientConfig()
			if err != nil {
				return cli.BadInput(fmt.Errorf("--kubeconfig %s: %w", kubeconfig, err))
			}
			cfg.Timeout = 30 * time.Second
			var topo *capi.Topology
			if cluster != "" {
				ns, name, ok := strings.Cut(cluster, "/")
				if !ok {
					ns, name = "default", cluster
				}
				if ns == "" || name == "" || strings.Contains(name, "/") {
					return cli.BadInput(fmt.Errorf("--cluster %q: want NAMESPACE/NAME of a Cluster API Cluster", cluster))
				}
				fmt.Fprintf(streams.ErrOut, "zdt: reading Cluster %s/%s from the management cluster at %s (read-only)\n", ns, name, cfg.Host)
				if topo, err = capi.ReadTopology(cmd.Context(), cfg, ns, name); err != nil {
					return cli.BadInput(fmt.Errorf("--cluster %s: %w", cluster, err))
				}
				cfg = rest.CopyConfig(topo.Workload)
				cfg.Timeout = 30 * time.Second
			}
			cs, err := kubernetes.NewForConfig(cfg)
			if err != nil {
				return cli.BadInput(fmt.Errorf("--kubeconfig %s: %w", kubeconfig, err))
			}
			b, err := scenarios.OpenAsWritten(base)
			if err != nil {
				return cli.BadInput(fmt.Errorf("--base: %w", err))
			}
			fmt.Fprintf(streams.ErrOut, "zdt: reading %s (read-only)\n", cfg.Host)
			tw, err := predict.Read(cmd.Context(), cs, b, to, topo)
			if err != nil {
				return err
			}
			if from := tw.Scenario.Spec.Versions.From; !newer(to, from) {
				return cli.BadInput(fmt.Errorf("--to %s: the cluster is at %s; give a newer Kubernetes version", to, from))
			}
			data, err := tw.YAML([]string{"the cluster at " + cfg.Host})
			if err != nil {
				return err
			}
			sc, err := scenarios.Parse(out, data)
			if err != nil {
				return cli.BadInput(fmt.Errorf("the twin's scenario does not validate (is --to newer than the cluster's version?): %w", err))
			}
			if err := os.WriteFile(out, data, 0o644); err != nil {
				return err
			}
			for _, n := range tw.Notes {
				fmt.Fprintf(streams.ErrOut, "zdt: %s\n", n)
			}
			for _, u := range tw.Unmapped {
				fmt.Fprintf(streams.ErrOut, "zdt: not mapped: %s: %s\n", u.Object, u.Text)
			}
			fmt.Fprintf(streams.ErrOut, "zdt: wrote %s (%d workloads, %d assumptions as comments); playing %s -> %s over %d seed(s)\n",
				out, len(sc.Spec.Workloads), len(tw.Assumptions), sc.Spec.Versions.From, to, seeds)
			cli.ManyRunsGC()
			o, err := predict.Play(cmd.Context(), sc, seeds, parallel)
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(streams.Out, 0, 4, 2, ' ', 0)
			fmt.Fprintf(w, "WORKLOAD\tMAX DROPPED\tLONGEST PDB STALL\tBLOCKING PDB\tLOWEST READY\n")
			for _, p := range o.Workloads {
				pdb := p.PDB
				if pdb == "" {
					pdb = "-"
				}
				fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%d of %d\n", p.Workload, p.MaxDropped, (time.Duration(p.StallSeconds * float64(time.Second))).Round(time.Second), pdb, p.MinReady, p.Desired)
			}
			if err := w.Flush(); err != nil {
				return err
			}
			fmt.Fprintf(streams.Out, "\n%d of %d seed(s) passed, %d failed, %d inconclusive; the upgrade takes up to %s\n",
				o.Passed, seeds, o.Failed, o.Inconclusive, (time.Duration(o.MaxUpgradeSeconds * float64(time.Second))).Round(time.Second))
			for _, c := range o.Preflight {
				fmt.Fprintf(streams.Out, "PREFLIGHT would stop the upgrade before it starts: %s\n", c)
			}
			for _, c := range o.Failures {
				fmt.Fprintf(streams.Out, "FAIL %s (seed %d): %s\n  fix: %s\n", c.Name, o.Seed, c.Cause, c.Fix)
			}
			fmt.Fprintf(streams.Out, "rerun or edit: zdt run %s\n", out)
			switch {
			case o.Failed > 0:
				return cli.Exit(cli.ExitFail, nil)
			case o.Inconclusive > 0:
				return cli.Exit(cli.ExitInconclusive, nil)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&kubeconfig, "kubeconfig", "", "the kubeconfig of the cluster to predict, or of its management cluster with --cluster (only read)")
	f.StringVar(&kubeContext, "context", "", "the kubeconfig context (default: its current one)")
	f.StringVar(&cluster, "cluster", "", "a Cluster API Cluster, NAMESPACE/NAME: --kubeconfig is then its management cluster's, and pools are its MachineDeployments with their strategies")
	f.StringVar(&to, "to", "", "the Kubernetes version of the upgrade")
	f.IntVar(&seeds, "seeds", 20, "seeds to play the upgrade over")
	f.IntVar(&parallel, "parallel", runtime.NumCPU(), "runs at once")
	f.StringVarP(&out, "output", "o", "twin.yaml", "where the twin's scenario is written")
	f.StringVar(&base, "base", "ha-well-configured", "the scenario whose load and criteria the twin uses")
	return cmd
}

// newer reports whether version to is later than from; a version that does not parse counts
// as newer, for the scenario's validation to name.
func newer(to, from string) bool {
	t, err1 := utilversion.ParseGeneric(to)
	f, err2 := utilversion.ParseGeneric(from)
	if err1 != nil || err2 != nil {
		return true
	}
	return f.LessThan(t)
}
