//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"sigs.k8s.io/cluster-api/test/framework"

	"github.com/zdt-dev/zdt/harness/capi"
	"github.com/zdt-dev/zdt/harness/images"
	"github.com/zdt-dev/zdt/harness/kind"
	"github.com/zdt-dev/zdt/harness/kubeconfig"
	"github.com/zdt-dev/zdt/harness/sim"
	"github.com/zdt-dev/zdt/harness/sweep"
	"github.com/zdt-dev/zdt/harness/sweep/onjob"
	"github.com/zdt-dev/zdt/report"
	"github.com/zdt-dev/zdt/scenarios"
)

// intervals bound each spec; ZDT_E2E_SCALE multiplies them on slow machines.
var intervals = map[string]time.Duration{
	"kind":       45 * time.Minute,
	"kubeconfig": 10 * time.Minute,
}

func interval(spec string) time.Duration {
	d := intervals[spec]
	if s := os.Getenv("ZDT_E2E_SCALE"); s != "" {
		var f float64
		if _, err := fmt.Sscan(s, &f); err == nil && f > 0 {
			d = time.Duration(float64(d) * f)
		}
	}
	return d
}

var _ = Describe("Upgrade safety", Ordered, func() {
	ctx := context.Background()
	artifacts := filepath.Join(os.TempDir(), "zdt-e2e")
	kindProvider := kind.NewProvider(kind.Options{
		Keep:          true, // the kubeconfig spec runs against it; AfterSuite removes it
		KubeconfigDir: artifacts,
		// The run directory of the kind spec: kept only if the run does not pass.
		ArtifactsDir: filepath.Join(artifacts, "kind-small-kind", "artifacts"),
		Log:          func(format string, args ...any) { fmt.Fprintf(GinkgoWriter, "kind: "+format+"\n", args...) },
	})
	suiteProviders = append(suiteProviders, kindProvider)
	BeforeAll(func() { Expect(os.MkdirAll(artifacts, 0o755)).To(Succeed()) })

	Context("on kind with Cluster API's Docker provider, a well-configured scenario", func() {
		UpgradeSafetySpec(ctx, func() UpgradeSafetySpecInput {
			return UpgradeSafetySpecInput{
				Provider: kindProvider, Scenario: "../../testdata/scenarios/kind-small.yaml",
				ArtifactFolder: artifacts, Timeout: interval("kind"), WantVerdict: report.Pass, KeepArtifacts: true,
				// What Cluster API's DockerLogCollector takes from every workload machine, the
				// API load balancer's log, the management node's journals, both clusters' objects.
				WantArtifacts: []string{"machines/*-md-*/journal.log", "machines/*-md-*/kubelet.log", "machines/*-md-*/containerd.log",
					"machines/*-md-*/kubelet-version.txt", "machines/*/pods/*", "infrastructure/*-lb.log",
					"machines/*-control-plane/kubelet.log", "management/objects/cluster.x-k8s.io/machines.yaml", "workload/objects/core/nodes.yaml"},
			}
		})
	})

	Context("Cluster API's test framework on the clusters the kind spec kept", func() {
		It("sees the control plane and every MachineDeployment at the scenario's target version", func() {
			created := kindProvider.Created()
			Expect(created).NotTo(BeEmpty(), "the kind spec made no cluster")
			names := created[len(created)-1]
			sc, _, err := scenarios.Open("../../testdata/scenarios/kind-small.yaml")
			Expect(err).NotTo(HaveOccurred())
			to := sc.Spec.Versions.To
			mgmt := framework.NewClusterProxy(names.Management, filepath.Join(artifacts, names.Management+".kubeconfig"), capi.Scheme())
			defer mgmt.Dispose(ctx)
			cluster := framework.GetClusterByName(ctx, framework.GetClusterByNameInput{Getter: mgmt.GetClient(), Name: names.Workload, Namespace: "default"})
			Expect(cluster.Spec.Topology.Version).To(Equal(to))
			framework.WaitForControlPlaneMachinesToBeUpgraded(ctx, framework.WaitForControlPlaneMachinesToBeUpgradedInput{
				Lister: mgmt.GetClient(), Cluster: cluster, KubernetesUpgradeVersion: to, MachineCount: int(*sc.Spec.Cluster.ControlPlane.Replicas),
			}, "2m", "5s")
			kcp := framework.GetKubeadmControlPlaneByCluster(ctx, framework.GetKubeadmControlPlaneByClusterInput{
				Lister: mgmt.GetClient(), ClusterName: cluster.Name, Namespace: cluster.Namespace})
			Expect(kcp).NotTo(BeNil())
			Expect(kcp.Spec.Version).To(Equal(to))
			mds := framework.GetMachineDeploymentsByCluster(ctx, framework.GetMachineDeploymentsByClusterInput{
				Lister: mgmt.GetClient(), ClusterName: cluster.Name, Namespace: cluster.Namespace})
			Expect(mds).To(HaveLen(len(sc.Spec.Cluster.WorkerPools)))
			for _, md := range mds {
				framework.WaitForMachineDeploymentMachinesToBeUpgraded(ctx, framework.WaitForMachineDeploymentMachinesToBeUpgradedInput{
					Lister: mgmt.GetClient(), Cluster: cluster, KubernetesUpgradeVersion: to, MachineCount: int(*md.Spec.Replicas), MachineDeployment: *md,
				}, "2m", "5s")
			}
			workload := mgmt.GetWorkloadCluster(ctx, cluster.Namespace, cluster.Name)
			defer workload.Dispose(ctx)
			nodes, err := workload.GetClientSet().CoreV1().Nodes().List(ctx, metav1.ListOptions{})
			Expect(err).NotTo(HaveOccurred())
			for _, n := range nodes.Items {
				Expect(n.Status.NodeInfo.KubeletVersion).To(Equal(to), "node %s", n.Name)
			}
			fmt.Fprintf(GinkgoWriter, "Cluster API's framework: %s at %s, %d control plane machine(s), %d MachineDeployment(s), %d node(s) at %s\n",
				cluster.Name, cluster.Spec.Topology.Version, *sc.Spec.Cluster.ControlPlane.Replicas, len(mds), len(nodes.Items), to)
		})
	})

	Context("on the kubeconfig provider against the kept management cluster, a PDB that blocks every drain", func() {
		UpgradeSafetySpec(ctx, func() UpgradeSafetySpecInput {
			created := kindProvider.Created()
			Expect(created).NotTo(BeEmpty(), "the kind spec made no cluster")
			names := created[len(created)-1]
			p, err := kubeconfig.New(filepath.Join(artifacts, names.Management+".kubeconfig"), "default/"+names.Workload)
			Expect(err).NotTo(HaveOccurred())
			p.ArtifactsDir = filepath.Join(artifacts, "kind-small-pdb-blocks-kubeconfig", "artifacts")
			return UpgradeSafetySpecInput{
				Provider: p, Scenario: "../../testdata/scenarios/kind-small-pdb-blocks.yaml",
				ArtifactFolder: artifacts, Timeout: interval("kubeconfig"), PreflightOnly: true,
				WantVerdict: report.Fail, WantFailed: []string{"preflight"},
				WantArtifacts: []string{"management/objects/cluster.x-k8s.io/machines.yaml", "management/objects/cluster.x-k8s.io/machinedeployments.yaml",
					"workload/objects/core/pods.yaml", "workload/objects/policy/poddisruptionbudgets.yaml", "workload/objects/core/events.yaml"},
				Prepare: func(ctx context.Context, sc *scenarios.Scenario) error {
					targets, err := kind.EdgeTargets(ctx, names.EdgeLB, sc)
					if err != nil {
						return err
					}
					p.Targets = targets
					// The misconfiguration, made in the cluster as a user would: web's PDB
					// allows no disruption at all.
					return kubectl(ctx, names.Workload, "-n", "zdt", "patch", "pdb", "web", "--type=json",
						"-p", `[{"op":"remove","path":"/spec/maxUnavailable"},{"op":"add","path":"/spec/minAvailable","value":3}]`)
				},
			}
		})
	})

	Context("a sweep run as an Indexed Job on the kept management cluster", func() {
		It("gives the seeds' results of the same sweep run here", func() {
			created := kindProvider.Created()
			Expect(created).NotTo(BeEmpty(), "the kind spec made no cluster")
			names := created[len(created)-1]
			Expect(images.LoadIntoKind(ctx, names.Management, []string{images.ZDTImage})).To(Succeed())
			cfg, err := clientcmd.BuildConfigFromFlags("", filepath.Join(artifacts, names.Management+".kubeconfig"))
			Expect(err).NotTo(HaveOccurred())
			cs, err := kubernetes.NewForConfig(cfg)
			Expect(err).NotTo(HaveOccurred())
			sc, _, err := scenarios.Open("ha-well-configured")
			Expect(err).NotTo(HaveOccurred())
			const seeds = 400
			start := time.Now()
			lines, err := onjob.Run(ctx, onjob.Input{Client: cs, Scenario: sc, Seeds: seeds, FirstSeed: 1, Faults: "random",
				Parallelism: 2, Image: images.ZDTImage, Timeout: 10 * time.Minute,
				Progress: func(format string, args ...any) { fmt.Fprintf(GinkgoWriter, "onjob: "+format+"\n", args...) }})
			Expect(err).NotTo(HaveOccurred())
			onCluster := time.Since(start)
			start = time.Now()
			local, err := sweep.Run(ctx, sc, sim.NewProvider(), sweep.ReportJudge, sweep.Options{Seeds: seeds, FirstSeed: 1, RandomFaults: true, Parallel: 2})
			Expect(err).NotTo(HaveOccurred())
			fmt.Fprintf(GinkgoWriter, "%d seeds: as a Job of 2 indexes in %s, here in %s: %d passed, %d failed, %d inconclusive\n",
				seeds, onCluster.Round(time.Millisecond), time.Since(start).Round(time.Millisecond), local.Passed, local.Failed, local.Inconclusive)
			got := sweep.FromLines(lines, 0)
			got.Elapsed, local.Elapsed = 0, 0
			Expect(got).To(Equal(local))
			Expect(local.Failed).To(BeNumerically(">", 0), "no seed failed: the comparison says little")
		})
	})
})

// kubectl runs kubectl on a control plane node of a Docker provider cluster.
func kubectl(ctx context.Context, cluster string, args ...string) error {
	out, err := exec.CommandContext(ctx, "docker", "ps", "--filter", "label=io.x-k8s.kind.cluster="+cluster,
		"--filter", "label=io.x-k8s.kind.role=control-plane", "--format", "{{.Names}}").Output()
	if err != nil {
		return fmt.Errorf("find the control plane of %s: %w", cluster, err)
	}
	nodes := strings.Fields(string(out))
	if len(nodes) == 0 {
		return fmt.Errorf("no control plane container of %s", cluster)
	}
	cmd := exec.CommandContext(ctx, "docker", append([]string{"exec", nodes[0], "kubectl", "--kubeconfig", "/etc/kubernetes/admin.conf"}, args...)...)
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("kubectl %s: %w: %s", strings.Join(args, " "), err, b)
	}
	return nil
}
