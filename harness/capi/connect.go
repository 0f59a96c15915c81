package capi

import (
	"context"
	"crypto/x509"
	"fmt"
	"net/netip"
	"os"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/zdt-dev/zdt/harness/capi/internal/objects"
	"github.com/zdt-dev/zdt/harness/chaos"
	"github.com/zdt-dev/zdt/loadgen"
	"github.com/zdt-dev/zdt/model"
	"github.com/zdt-dev/zdt/scenarios"
)

// ConnectInput names the Cluster API workload cluster a scenario runs on and how zdt reaches
// it. Both real providers connect through it: kind once it has created the clusters, kubeconfig
// to clusters that exist.
type ConnectInput struct {
	Scenario *scenarios.Scenario
	Recorder model.Recorder
	// Start is the instant the run's offsets count from (default: when Connect is called).
	Start time.Time
	// Management is the management cluster's REST config.
	Management *rest.Config
	// Namespace and Name identify the Cluster object; it must have a managed topology at the
	// scenario's "from" version.
	Namespace, Name string
	// Workload, when set, is how zdt reaches the workload cluster (the kind provider's published
	// port); otherwise the kubeconfig Cluster API keeps in the Secret <name>-kubeconfig is used.
	Workload *rest.Config
	// Targets maps each workload under load to its URL; every one must pass
	// loadgen.ResolveTarget (a loopback address, localhost, or an address in Allow).
	Targets map[string]string
	// Allow lists non-loopback addresses zdt may send load to: containers it created.
	Allow []netip.Addr
	// Teardown, when set, is called by Close to remove what the provider created.
	Teardown func(ctx context.Context) error
	// ArtifactsDir, when set, receives at Close, before Teardown, the objects and pod logs of
	// both clusters (Dump).
	ArtifactsDir string
	Tuning       Tuning
	// Injectors are the fault kinds the provider injects (chaos.APIInjectors, and the
	// provider's own); a fault of another kind is recorded as not applied.
	Injectors chaos.Injectors
	// Log receives a line per injected fault; may be nil.
	Log func(format string, args ...any)
}

// Connect reaches the management and workload clusters, checks that the Cluster exists with a
// managed topology at the scenario's "from" version, and returns the adapter recording the
// timeline and states of the run. The API prober probes the workload cluster's API when its
// address is a loopback one (a kind cluster's load balancer, or a kubeconfig that says
// localhost); a remote API server is measured by the state samples instead.
func Connect(ctx context.Context, in ConnectInput) (*Cluster, error) {
	mgmt, err := dynamic.NewForConfig(in.Management)
	if err != nil {
		return nil, fmt.Errorf("management cluster: %w", err)
	}
	disc, err := discovery.NewDiscoveryClientForConfig(in.Management)
	if err != nil {
		return nil, fmt.Errorf("management cluster: %w", err)
	}
	return connect(ctx, in, mgmt, disc, func(cfg *rest.Config) (kubernetes.Interface, error) {
		return kubernetes.NewForConfig(cfg)
	})
}

// connect is Connect with the clients made: tests pass fakes.
func connect(ctx context.Context, in ConnectInput, mgmt dynamic.Interface, disc discovery.DiscoveryInterface,
	workloadClient func(*rest.Config) (kubernetes.Interface, error)) (*Cluster, error) {
	version, err := servedVersion(disc)
	if err != nil {
		return nil, err
	}
	res := objects.ResourcesAt(version)
	ns := in.Namespace
	if ns == "" {
		ns = metav1.NamespaceDefault
	}
	cl, err := mgmt.Resource(res.Clusters).Namespace(ns).Get(ctx, in.Name, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("cluster %s/%s: %w", ns, in.Name, err)
	}
	switch v := objects.Str(cl, "spec", "topology", "version"); {
	case v == "":
		return nil, fmt.Errorf("cluster %s/%s has no spec.topology: zdt upgrades clusters made from a ClusterClass", ns, in.Name)
	case in.Scenario != nil && v != in.Scenario.Spec.Versions.From:
		return nil, fmt.Errorf("cluster %s/%s is at %s, the scenario upgrades from %s", ns, in.Name, v, in.Scenario.Spec.Versions.From)
	}
	wcfg := in.Workload
	if wcfg == nil {
		kc, err := WorkloadKubeconfig(ctx, mgmt, ns, in.Name)
		if err != nil {
			return nil, err
		}
		if wcfg, err = clientcmd.RESTConfigFromKubeConfig(kc); err != nil {
			return nil, fmt.Errorf("workload cluster kubeconfig: %w", err)
		}
	}
	workload, err := workloadClient(wcfg)
	if err != nil {
		return nil, fmt.Errorf("workload cluster: %w", err)
	}
	w := wiring{
		namespace: ns, name: in.Name, apiVersion: version, mgmt: mgmt, mgmtConfig: in.Management, workload: workload, workloadConfig: wcfg,
		targets: map[string]string{}, allow: in.Allow, start: in.Start, teardown: in.Teardown, artifacts: in.ArtifactsDir,
		injectors: in.Injectors, log: in.Log,
	}
	for name, u := range in.Targets {
		t, err := loadgen.ResolveTarget(u, in.Allow)
		if err != nil {
			return nil, fmt.Errorf("load target %s: %w", name, err)
		}
		w.targets[name] = t.URL
	}
	if t, err := loadgen.ResolveTarget(wcfg.Host, in.Allow); err == nil {
		w.apiServer = t.URL
		w.apiTLS = probeTLS(wcfg, t.ServerName)
	}
	return newCluster(ctx, in.Scenario, in.Recorder, w, in.Tuning)
}

// probeTLS checks the API server's certificate with the workload cluster's CA, against the
// kubeconfig's tls-server-name, or the host name the kubeconfig gave (localhost).
func probeTLS(cfg *rest.Config, hostName string) loadgen.ProbeTLS {
	t := loadgen.ProbeTLS{ServerName: cfg.ServerName}
	if t.ServerName == "" {
		t.ServerName = hostName
	}
	ca := cfg.CAData
	if len(ca) == 0 && cfg.CAFile != "" {
		ca, _ = os.ReadFile(cfg.CAFile)
	}
	if pool := x509.NewCertPool(); len(ca) > 0 && pool.AppendCertsFromPEM(ca) {
		t.RootCAs = pool
	}
	return t
}

// servedVersion returns the preferred version of the Cluster API group the management cluster
// serves.
func servedVersion(disc discovery.DiscoveryInterface) (string, error) {
	groups, err := disc.ServerGroups()
	if err != nil {
		return "", fmt.Errorf("management cluster: %w", err)
	}
	for _, g := range groups.Groups {
		if g.Name == objects.ClusterGroup {
			return g.PreferredVersion.Version, nil
		}
	}
	return "", fmt.Errorf("management cluster serves no %s API: is Cluster API installed?", objects.ClusterGroup)
}
