package kubeconfig

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/zdt-dev/zdt/harness"
	"github.com/zdt-dev/zdt/harness/capi"
	"github.com/zdt-dev/zdt/harness/chaos"
	"github.com/zdt-dev/zdt/loadgen"
	"github.com/zdt-dev/zdt/model"
	"github.com/zdt-dev/zdt/scenarios/faults"
)

// The flags of the kubeconfig provider.
const (
	FlagKubeconfig = "kubeconfig"
	FlagCluster    = "cluster"
	FlagTarget     = "target"
)

// info is the kubeconfig provider's entry in the provider registry.
var info = harness.Register(harness.ProviderInfo{
	Name:    "kubeconfig",
	Summary: "a Cluster API workload cluster that exists, through its management cluster's kubeconfig; zdt creates and removes nothing",
	Clock:   harness.Clock{},
	Flags: []harness.Flag{
		{Name: FlagKubeconfig, Usage: "kubeconfig of the Cluster API management cluster"},
		{Name: FlagCluster, Usage: "the Cluster to upgrade, NAMESPACE/NAME"},
		{Name: FlagTarget, Usage: "where a workload's load goes, NAME=URL (127.0.0.1 or localhost), once per load target", Repeated: true},
	},
	// Through an existing cluster's API alone: pods killed, nodes cordoned, evictions refused.
	Injects: func(k faults.Kind) bool { return chaos.APIInjectors().Injects(k) },
	New: func(s harness.Settings) (harness.Provider, error) {
		p, err := New(s.String(FlagKubeconfig), s.String(FlagCluster))
		if err != nil {
			return nil, err
		}
		p.Tuning.SnapshotDir = s.Out
		if dir, err := filepath.Abs(s.Out); err == nil {
			p.ArtifactsDir = filepath.Join(dir, model.ArtifactsDir)
		}
		p.Log = s.Log
		for _, t := range s.Strings(FlagTarget) {
			if err := p.AddTarget(t); err != nil {
				return nil, err
			}
		}
		return p, nil
	},
})

// Provider runs scenarios on the workload cluster of a Cluster API Cluster that exists, made
// from a ClusterClass, at the scenario's "from" version, with the workloads in namespace zdt.
// It implements harness.Provider.
type Provider struct {
	// Management is the management cluster's REST config.
	Management *rest.Config
	// Namespace and Cluster identify the Cluster object.
	Namespace, Cluster string
	// Targets maps each workload under load to its URL.
	Targets map[string]string
	// Tuning is passed on to the Cluster API adapter.
	Tuning capi.Tuning
	// Log receives a line per injected fault; may be nil.
	Log func(format string, args ...any)
	// ArtifactsDir, when set, receives the objects and pod logs of both clusters at the end
	// of the run (zdt run removes them from a run that passes, unless --artifacts).
	ArtifactsDir string
}

var _ harness.Provider = (*Provider)(nil)

// New returns the provider for the management cluster of a kubeconfig file and a Cluster
// named "namespace/name" (or "name" in the default namespace).
func New(kubeconfig, clusterRef string) (*Provider, error) {
	if kubeconfig == "" {
		return nil, errors.New("--provider kubeconfig: --kubeconfig is required: the kubeconfig of the Cluster API management cluster")
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
	cfg.WarningHandler = rest.NoWarnings{}
	return &Provider{Management: cfg, Namespace: ns, Cluster: name, Targets: map[string]string{}}, nil
}

// AddTarget adds a load target given as NAME=URL; the URL must be one zdt may send load to.
func (p *Provider) AddTarget(spec string) error {
	name, u, ok := strings.Cut(spec, "=")
	if !ok || name == "" || u == "" {
		return fmt.Errorf("--target %q: want NAME=URL, e.g. web=http://127.0.0.1:8080", spec)
	}
	t, err := loadgen.ResolveTarget(u, nil)
	if err != nil {
		return fmt.Errorf("--target %s: %w", name, err)
	}
	if p.Targets == nil {
		p.Targets = map[string]string{}
	}
	p.Targets[name] = t.URL
	return nil
}

// Info implements harness.Provider.
func (p *Provider) Info() *harness.ProviderInfo { return info }

// Create implements harness.Provider: it connects to the Cluster as it is.
func (p *Provider) Create(ctx context.Context, in harness.CreateInput) (harness.Cluster, error) {
	for _, t := range in.Scenario.Spec.Load.Targets {
		if _, ok := p.Targets[t]; !ok {
			return nil, fmt.Errorf("load target %s has no address: add --target %s=http://127.0.0.1:PORT", t, t)
		}
	}
	return capi.Connect(ctx, capi.ConnectInput{
		Scenario: in.Scenario, Recorder: in.Recorder, Start: in.Start,
		Management: p.Management, Namespace: p.Namespace, Name: p.Cluster,
		Targets: p.Targets, Tuning: p.Tuning, ArtifactsDir: p.ArtifactsDir,
		Injectors: chaos.APIInjectors(), Log: p.Log,
	})
}
