package run

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/zdt-dev/zdt/harness"
	"github.com/zdt-dev/zdt/harness/capi"
	"github.com/zdt-dev/zdt/loadgen"
	"github.com/zdt-dev/zdt/model"
	"github.com/zdt-dev/zdt/scenarios"
)

// KubeconfigProvider runs scenarios on a workload cluster that an existing Cluster API
// management cluster manages, on any infrastructure: `zdt run --provider kubeconfig
// --kubeconfig F --cluster NS/NAME`. It creates nothing and so removes nothing.
type KubeconfigProvider struct {
	// Management is the management cluster's REST config.
	Management *rest.Config
	// Namespace and Cluster identify the Cluster object.
	Namespace, Cluster string
	// Targets maps each workload under load to its URL (127.0.0.1 or an address in Allow).
	Targets map[string]string
	// Options are passed on to the capi adapter (poll and state intervals, snapshot directory).
	Options capi.Options
}

var _ harness.Provider = (*KubeconfigProvider)(nil)

// NewKubeconfigProvider returns the kubeconfig provider for the management cluster of a
// kubeconfig file and a Cluster named "namespace/name" (or "name" in the default namespace).
func NewKubeconfigProvider(kubeconfig, clusterRef string) (*KubeconfigProvider, error) {
	if kubeconfig == "" {
		return nil, errors.New("--provider kubeconfig: --kubeconfig is required")
	}
	ns, name, ok := strings.Cut(clusterRef, "/")
	if !ok {
		ns, name = metav1.NamespaceDefault, clusterRef
	}
	if name == "" || ns == "" || strings.Contains(name, "/") {
		return nil, fmt.Errorf("--cluster %q: want NAMESPACE/NAME of a Cluster API Cluster", clusterRef)
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return nil, fmt.Errorf("--kubeconfig %s: %w", kubeconfig, err)
	}
	return &KubeconfigProvider{Management: cfg, Namespace: ns, Cluster: name}, nil
}

// Name implements harness.Provider.
func (p *KubeconfigProvider) Name() string { return "kubeconfig" }

// Create implements harness.Provider: it connects to the management cluster, checks that the
// Cluster exists with a managed topology at the scenario's "from" version, reads the workload
// cluster's kubeconfig from the Secret <name>-kubeconfig, and returns the capi adapter.
func (p *KubeconfigProvider) Create(ctx context.Context, sc *scenarios.Scenario, rec model.Recorder) (harness.Cluster, error) {
	mgmt, err := dynamic.NewForConfig(p.Management)
	if err != nil {
		return nil, fmt.Errorf("management cluster: %w", err)
	}
	disc, err := discovery.NewDiscoveryClientForConfig(p.Management)
	if err != nil {
		return nil, fmt.Errorf("management cluster: %w", err)
	}
	version, err := capiVersion(disc)
	if err != nil {
		return nil, err
	}
	res := capi.ResourcesAt(version)
	cl, err := mgmt.Resource(res.Clusters).Namespace(p.Namespace).Get(ctx, p.Cluster, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("cluster %s/%s: %w", p.Namespace, p.Cluster, err)
	}
	v, _, _ := unstructured.NestedString(cl.Object, "spec", "topology", "version")
	switch {
	case v == "":
		return nil, fmt.Errorf("cluster %s/%s has no spec.topology: zdt upgrades clusters made from a ClusterClass", p.Namespace, p.Cluster)
	case v != sc.Spec.Versions.From:
		return nil, fmt.Errorf("cluster %s/%s is at %s, the scenario upgrades from %s", p.Namespace, p.Cluster, v, sc.Spec.Versions.From)
	}
	kc, err := capi.WorkloadKubeconfig(ctx, mgmt, p.Namespace, p.Cluster)
	if err != nil {
		return nil, err
	}
	wcfg, err := clientcmd.RESTConfigFromKubeConfig(kc)
	if err != nil {
		return nil, fmt.Errorf("workload cluster kubeconfig: %w", err)
	}
	workload, err := kubernetes.NewForConfig(wcfg)
	if err != nil {
		return nil, fmt.Errorf("workload cluster: %w", err)
	}
	opts := p.Options
	opts.Namespace, opts.Name, opts.APIVersion = p.Namespace, p.Cluster, version
	opts.Management, opts.Workload, opts.WorkloadConfig = mgmt, workload, wcfg
	opts.Targets = p.Targets
	// The API prober sends traffic only to a loopback address (a kind cluster's load balancer);
	// a remote apiserver is measured by the state samples instead.
	if isLoopbackURL(wcfg.Host) {
		opts.APIServer = wcfg.Host
		pool := x509.NewCertPool()
		if len(wcfg.CAData) > 0 && pool.AppendCertsFromPEM(wcfg.CAData) {
			opts.APITLS = loadgen.ProbeTLS{RootCAs: pool, ServerName: wcfg.ServerName}
		}
	}
	return capi.New(ctx, sc, rec, opts)
}

// capiVersion returns the preferred version of the Cluster API group the management cluster
// serves.
func capiVersion(disc discovery.DiscoveryInterface) (string, error) {
	groups, err := disc.ServerGroups()
	if err != nil {
		return "", fmt.Errorf("management cluster: %w", err)
	}
	for _, g := range groups.Groups {
		if g.Name == capi.ClusterGroup {
			return g.PreferredVersion.Version, nil
		}
	}
	return "", fmt.Errorf("management cluster serves no %s API: is Cluster API installed?", capi.ClusterGroup)
}

func isLoopbackURL(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	ip := net.ParseIP(u.Hostname())
	return u.Hostname() == "localhost" || (ip != nil && ip.IsLoopback())
}
