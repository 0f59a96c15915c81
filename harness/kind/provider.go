package kind

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/kind/pkg/apis/config/v1alpha4"
	"sigs.k8s.io/kind/pkg/cluster"

	"github.com/zdt-dev/zdt/harness"
	"github.com/zdt-dev/zdt/harness/capi"
	"github.com/zdt-dev/zdt/harness/images"
	"github.com/zdt-dev/zdt/harness/images/components"
	"github.com/zdt-dev/zdt/harness/kind/internal/dockercli"
	"github.com/zdt-dev/zdt/harness/kind/internal/inject"
	"github.com/zdt-dev/zdt/harness/kind/internal/isolation"
	"github.com/zdt-dev/zdt/model"
	"github.com/zdt-dev/zdt/scenarios/faults"
)

// Name prefixes of the kind management clusters and Cluster API clusters zdt's runs create; the
// Docker provider and kind label their containers io.x-k8s.kind.cluster=<name>, which is how
// `zdt cleanup` finds them.
const (
	managementPrefix = "zdt-mgmt-"
	workloadPrefix   = "zdt-wl-"
)

// Timeouts of the bring-up; each wait is also cancelled with the run.
const (
	managementTimeout = 5 * time.Minute
	providersTimeout  = 5 * time.Minute
	workloadTimeout   = 15 * time.Minute
	appsTimeout       = 5 * time.Minute
	// machinesTimeout bounds the wait for every Machine to be matched to its Node.
	machinesTimeout = 5 * time.Minute
)

// Options configure the kind provider.
type Options struct {
	// ManagementVersion is the Kubernetes version of the management cluster's node image
	// (default the scenario's "from").
	ManagementVersion string
	// CacheDir is where `zdt images build` wrote the providers' components (default
	// images.DefaultCacheDir).
	CacheDir string
	// Keep leaves every container in place at the end of the run (and on errors), for debugging;
	// `zdt cleanup` removes them later.
	Keep bool
	// Log receives a line per step of the bring-up and teardown; nil discards them.
	Log func(format string, args ...any)
	// Tuning is passed on to the Cluster API adapter (poll and state intervals, snapshot
	// directory).
	Tuning capi.Tuning
	// KubeconfigDir, when set, receives the management cluster's kubeconfig as
	// <name>.kubeconfig, so that a kept cluster can be reached (and run again with --provider
	// kubeconfig).
	KubeconfigDir string
	// ArtifactsDir, when set, receives the run's artifacts at its end (objects and logs of both
	// clusters, every machine's kubelet and containerd journal); zdt run removes them from a
	// run that passes unless asked to keep them.
	ArtifactsDir string
}

// Provider creates, for each run, a kind management cluster from zdt's node image with Cluster
// API, the kubeadm providers and the Docker provider installed offline, and a workload cluster
// from zdt's ClusterClass running the scenario's workloads behind an edge load balancer on
// 127.0.0.1. It implements harness.Provider.
type Provider struct {
	opts Options

	mu      sync.Mutex
	created []Names
}

var _ harness.Provider = (*Provider)(nil)

// NewProvider returns the kind provider.
func NewProvider(opts Options) *Provider {
	if opts.Log == nil {
		opts.Log = func(string, ...any) {}
	}
	return &Provider{opts: opts}
}

// FlagKeep is the kind provider's flag: leave the clusters in place at the end of the run.
const FlagKeep = "keep"

// info is the kind provider's entry in the provider registry.
var info = harness.Register(harness.ProviderInfo{
	Name:    "kind",
	Summary: "a kind management cluster with Cluster API and its Docker provider, and a workload cluster of Docker containers on this machine (make images first)",
	Clock:   harness.Clock{},
	Flags: []harness.Flag{{Name: FlagKeep, Bool: true,
		Usage: "leave the kind clusters and the edge load balancer in place for debugging; zdt cleanup removes them"}},
	Injects: func(k faults.Kind) bool { return inject.Kinds.Injects(k) },
	New: func(s harness.Settings) (harness.Provider, error) {
		dir, err := filepath.Abs(s.Out)
		if err != nil {
			return nil, fmt.Errorf("--out %q: %w", s.Out, err)
		}
		return NewProvider(Options{Keep: s.Bool(FlagKeep), Log: s.Log, KubeconfigDir: dir, ArtifactsDir: filepath.Join(dir, model.ArtifactsDir),
			Tuning: capi.Tuning{SnapshotDir: dir}}), nil
	},
})

// Info implements harness.Provider.
func (p *Provider) Info() *harness.ProviderInfo { return info }

// Created returns the names of what each Create call made, oldest first: with Keep, what is
// still there to reach (for example with the kubeconfig provider).
func (p *Provider) Created() []Names {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Names(nil), p.created...)
}

// RemoveCreated removes what every Create call of this provider made and kept (Keep), and
// nothing else on the host: a test suite cleans up after itself without touching other runs.
func (p *Provider) RemoveCreated(ctx context.Context) ([]Names, error) {
	p.mu.Lock()
	created := p.created
	p.created = nil
	p.mu.Unlock()
	kp := cluster.NewProvider(cluster.ProviderWithDocker())
	var errs []error
	for _, n := range created {
		errs = append(errs, remove(ctx, kp, n))
	}
	return created, errors.Join(errs...)
}

// Names are the names of what one run creates.
type Names struct {
	// Management is the kind cluster; Workload the Cluster API Cluster (and the prefix of its
	// containers); EdgeLB the edge load balancer's container.
	Management, Workload, EdgeLB string
}

// newNames returns fresh names for a run.
func newNames() Names {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	id := hex.EncodeToString(b)
	return Names{Management: managementPrefix + id, Workload: workloadPrefix + id, EdgeLB: workloadPrefix + id + "-edge-lb"}
}

// Create implements harness.Provider. Every step is bounded and ends with ctx; on an error or
// a cancelled ctx what was created is removed (unless Keep).
func (p *Provider) Create(ctx context.Context, in harness.CreateInput) (harness.Cluster, error) {
	names := newNames()
	p.mu.Lock()
	p.created = append(p.created, names)
	p.mu.Unlock()
	logf := p.opts.Log
	kindProvider := cluster.NewProvider(cluster.ProviderWithDocker())
	syncCtx, stopSync := context.WithCancel(ctx)
	teardown := func(ctx context.Context) error {
		stopSync()
		if p.opts.Keep {
			logf("keeping management cluster %s, workload cluster %s and %s (--keep); zdt cleanup removes them", names.Management, names.Workload, names.EdgeLB)
			return nil
		}
		start := time.Now()
		err := remove(ctx, kindProvider, names)
		logf("removed %s, %s and %s in %s", names.Management, names.Workload, names.EdgeLB, time.Since(start).Round(time.Second))
		return err
	}
	if err := isolation.RaisePriority(); err != nil {
		logf("%v: the load generator runs at the usual priority and may fall behind on a busy machine", err)
	} else {
		logf("load generator and prober at nice %d: they keep their schedule while the nodes use the CPU", isolation.LoadNice)
	}
	mark := isolation.MarkEgress(ctx)
	cl, err := p.create(ctx, in, names, kindProvider, syncCtx, teardown)
	if err != nil {
		return nil, errors.Join(err, teardown(context.WithoutCancel(ctx)))
	}
	return &kindCluster{Cluster: cl, egress: mark, names: names, artifacts: p.opts.ArtifactsDir, log: logf}, nil
}

// kindCluster is the Cluster API adapter's cluster, what its containers tried to send off the
// machine, and where its artifacts go.
type kindCluster struct {
	*capi.Cluster
	egress    isolation.EgressMark
	names     Names
	artifacts string
	log       func(format string, args ...any)
}

// Close implements harness.Cluster: the machines' logs are written while the clusters still
// run, then the adapter dumps the clusters and tears them down.
func (c *kindCluster) Close(ctx context.Context) error {
	if c.artifacts != "" {
		start := time.Now()
		if err := c.writeMachineLogs(ctx); err != nil {
			c.log("artifacts: %v", err)
		}
		c.log("artifacts: every machine's logs written to %s in %s", c.artifacts, time.Since(start).Round(time.Second))
	}
	return c.Cluster.Close(ctx)
}

var _ harness.EgressCounter = (*kindCluster)(nil)

// Egress implements harness.EgressCounter.
func (c *kindCluster) Egress(ctx context.Context) *model.Egress { return c.egress.Since(ctx) }

func (p *Provider) create(ctx context.Context, in harness.CreateInput, names Names, kindProvider *cluster.Provider,
	syncCtx context.Context, teardown func(context.Context) error) (*capi.Cluster, error) {
	logf := p.opts.Log
	sc := in.Scenario
	cacheDir := p.opts.CacheDir
	if cacheDir == "" {
		dir, err := images.DefaultCacheDir()
		if err != nil {
			return nil, err
		}
		cacheDir = dir
	}
	var manifests [][]byte
	for _, pr := range images.Components() {
		b, err := os.ReadFile(filepath.Join(images.ComponentsDir(cacheDir), pr.ComponentsFile()))
		if err != nil {
			return nil, fmt.Errorf("components of %s (run zdt images build first): %w", pr.Name, err)
		}
		manifests = append(manifests, b)
	}
	if err := checkInotify(); err != nil {
		return nil, err
	}
	delay, err := inject.CheckNetworkDelay(ctx, sc)
	if err != nil {
		return nil, err
	}
	for _, f := range sc.Spec.Faults {
		if f.Kind == faults.NetworkDelay {
			logf("network delays are made with %v", delay)
			break
		}
	}
	from := sc.Spec.Versions.From
	mgmtVersion := p.opts.ManagementVersion
	if mgmtVersion == "" {
		mgmtVersion = from
	}

	// 1. The management cluster: one kind node with the host's Docker socket, as the Docker
	// provider needs.
	start := time.Now()
	mgmtDropIn, err := isolation.WriteServiceRangeDropIn(filepath.Join(cacheDir, "node-files"), ManagementServiceRange)
	if err != nil {
		return nil, err
	}
	workloadDropIn, err := isolation.WriteServiceRangeDropIn(filepath.Join(cacheDir, "node-files"), WorkloadServiceRange)
	if err != nil {
		return nil, err
	}
	mgmtCfg, err := createManagement(ctx, kindProvider, names.Management, images.NodeImage(mgmtVersion), mgmtDropIn)
	if err != nil {
		return nil, err
	}
	mgmtCfg.WarningHandler = rest.NoWarnings{}
	if mcs, err := kubernetes.NewForConfig(mgmtCfg); err != nil {
		return nil, fmt.Errorf("management cluster: %w", err)
	} else if err := isolation.ResolveClusterOnly(ctx, mcs); err != nil {
		return nil, fmt.Errorf("management cluster: %w", err)
	}
	logf("management cluster %s (%s) Ready in %s", names.Management, mgmtVersion, time.Since(start).Round(time.Second))
	if p.opts.KubeconfigDir != "" {
		if raw, err := kindProvider.KubeConfig(names.Management, false); err == nil {
			path := filepath.Join(p.opts.KubeconfigDir, names.Management+".kubeconfig")
			if err := os.WriteFile(path, []byte(raw), 0o600); err == nil {
				logf("management cluster kubeconfig: %s", path)
			}
		}
	}

	// 2. Cluster API, kubeadm and the Docker provider, offline.
	start = time.Now()
	if err := images.LoadIntoKind(ctx, names.Management, images.ComponentImages()); err != nil {
		return nil, err
	}
	if err := components.InstallManifests(ctx, mgmtCfg, manifests, components.InstallOptions{Timeout: providersTimeout}); err != nil {
		return nil, fmt.Errorf("install the Cluster API providers: %w", err)
	}
	logf("Cluster API %s providers installed offline in %s", images.CAPIVersion, time.Since(start).Round(time.Second))

	// 3. The workload cluster from zdt's ClusterClass at "from".
	start = time.Now()
	topo, err := topology(topologyInput{Name: names.Workload, Namespace: metav1.NamespaceDefault, Scenario: sc, Preload: []string{images.SampleAppImage}, ServiceRangeDropIn: workloadDropIn})
	if err != nil {
		return nil, err
	}
	objs, err := components.Parse(topo)
	if err != nil {
		return nil, err
	}
	if err := retry(ctx, 2*time.Minute, func() error {
		return components.Install(ctx, mgmtCfg, objs, components.InstallOptions{Timeout: time.Minute})
	}); err != nil {
		return nil, fmt.Errorf("create the workload cluster: %w", err)
	}
	mgmt, err := dynamic.NewForConfig(mgmtCfg)
	if err != nil {
		return nil, fmt.Errorf("management cluster: %w", err)
	}
	wcfg, err := workloadConfig(ctx, mgmt, names.Workload)
	if err != nil {
		return nil, err
	}
	workload, err := kubernetes.NewForConfig(wcfg)
	if err != nil {
		return nil, fmt.Errorf("workload cluster: %w", err)
	}
	logf("workload cluster %s: API at %s after %s", names.Workload, wcfg.Host, time.Since(start).Round(time.Second))
	// Before the CNI, so that CoreDNS's pods start with the Corefile that forwards nothing
	// (kubeadm's addon phase may not have made it yet: retried).
	if err := retry(ctx, 2*time.Minute, func() error { return isolation.ResolveClusterOnly(ctx, workload) }); err != nil {
		return nil, fmt.Errorf("workload cluster: %w", err)
	}

	// 4. The CNI: pod addresses from each node's pod CIDR, routes kept by zdt's route agent.
	// The route agent reaches the API at the control plane endpoint (the Docker provider's load
	// balancer on the kind network), as the workload cluster's kubeconfig Secret names it.
	raw, err := capi.WorkloadKubeconfig(ctx, mgmt, metav1.NamespaceDefault, names.Workload)
	if err != nil {
		return nil, err
	}
	endpoint, err := clientcmd.RESTConfigFromKubeConfig(raw)
	if err != nil {
		return nil, fmt.Errorf("workload cluster kubeconfig: %w", err)
	}
	apiURL, err := url.Parse(endpoint.Host)
	if err != nil {
		return nil, fmt.Errorf("workload cluster kubeconfig server %q: %w", endpoint.Host, err)
	}
	cni, err := images.RouteAgentManifest(images.RouteAgentImage, apiURL.Host)
	if err != nil {
		return nil, err
	}
	cniObjs, err := components.Parse([]byte(cni))
	if err != nil {
		return nil, err
	}
	if err := retry(ctx, 2*time.Minute, func() error {
		return components.Install(ctx, wcfg, cniObjs, components.InstallOptions{Timeout: time.Minute})
	}); err != nil {
		return nil, fmt.Errorf("workload cluster CNI: %w", err)
	}
	want := int(*sc.Spec.Cluster.ControlPlane.Replicas)
	for _, pl := range sc.Spec.Cluster.WorkerPools {
		want += int(*pl.Replicas)
	}
	if err := waitNodes(ctx, workload, want, workloadTimeout); err != nil {
		return nil, err
	}
	matcher := newMachineMatcher(mgmt, workload, names.Workload, logf)
	if err := matcher.wait(ctx, machinesTimeout); err != nil {
		return nil, err
	}
	go matcher.run(syncCtx, 5*time.Second)
	if p.opts.ArtifactsDir != "" {
		typed, err := capi.NewClient(mgmtCfg)
		if err != nil {
			return nil, err
		}
		go keepDeletingJournals(syncCtx, typed, names.Workload, p.opts.ArtifactsDir, 15*time.Second)
	}
	logf("workload cluster %s: %d nodes Ready at %s, each matched to its Machine, %s after the Cluster was created", names.Workload, want, from, time.Since(start).Round(time.Second))

	// 5. The scenario's workloads as zdt's sample app.
	start = time.Now()
	apps := sampleApps(sc, capi.DefaultAppNamespace, images.SampleAppImage)
	if err := createApps(ctx, workload, apps); err != nil {
		return nil, err
	}
	if err := waitApps(ctx, workload, apps, appsTimeout); err != nil {
		return nil, err
	}
	logf("%d workloads available in %s", len(apps.Deployments), time.Since(start).Round(time.Second))

	// 6. The edge load balancer on 127.0.0.1 in front of the workers' NodePorts.
	lb := &edgeLB{container: names.EdgeLB, workload: workload, log: logf}
	for i, s := range apps.Services {
		svc, err := workload.CoreV1().Services(s.Namespace).Get(ctx, s.Name, metav1.GetOptions{})
		if err != nil {
			return nil, fmt.Errorf("service %s: %w", s.Name, err)
		}
		lb.backends = append(lb.backends, edgeBackend{Name: s.Name, Frontend: edgeFrontendPort + i, NodePort: svc.Spec.Ports[0].NodePort})
	}
	targets, err := lb.start(ctx, images.EdgeLBImage, names.Workload)
	if err != nil {
		return nil, err
	}
	go lb.sync(syncCtx, 2*time.Second)
	if err := waitURLs(ctx, targets, 2*time.Minute); err != nil {
		return nil, err
	}
	logf("edge load balancer %s: %v", names.EdgeLB, targets)

	return capi.Connect(ctx, capi.ConnectInput{
		Scenario: sc, Recorder: in.Recorder, Start: in.Start,
		Management: mgmtCfg, Namespace: metav1.NamespaceDefault, Name: names.Workload, Workload: wcfg,
		Targets: targets, Teardown: teardown, Tuning: p.opts.Tuning, ArtifactsDir: p.opts.ArtifactsDir,
		Injectors: inject.Injectors(names.Workload, delay), Log: logf,
	})
}

// minInotifyInstances is the fs.inotify.max_user_instances a kind management cluster and a
// workload cluster of a few nodes need: every node runs systemd, containerd and a kubelet, and
// the kernel's default of 128 makes kubelets and kube-proxy fail with "too many open files".
const minInotifyInstances = 512

// checkInotify fails early, with the fix, when the host's inotify limit is too low.
func checkInotify() error {
	b, err := os.ReadFile("/proc/sys/fs/inotify/max_user_instances")
	if err != nil {
		return nil // not Linux, or not readable: nothing to check
	}
	var n int
	if _, err := fmt.Sscan(string(b), &n); err != nil || n >= minInotifyInstances {
		return nil
	}
	return fmt.Errorf("fs.inotify.max_user_instances is %d: kind nodes need at least %d (run: sysctl -w fs.inotify.max_user_instances=8192 fs.inotify.max_user_watches=524288)", n, minInotifyInstances)
}

// createManagement creates the management kind cluster and returns its REST config. kind's
// library takes no context: a cancelled ctx is noticed once creation returns.
func createManagement(ctx context.Context, kp *cluster.Provider, name, image, serviceRangeDropIn string) (*rest.Config, error) {
	cfg := &v1alpha4.Cluster{
		Networking: v1alpha4.Networking{ServiceSubnet: ManagementServiceRange},
		Nodes: []v1alpha4.Node{{
			Role:  v1alpha4.ControlPlaneRole,
			Image: image,
			ExtraMounts: []v1alpha4.Mount{
				{HostPath: "/var/run/docker.sock", ContainerPath: "/var/run/docker.sock"},
				{HostPath: serviceRangeDropIn, ContainerPath: isolation.ServiceRangeDropInPath, Readonly: true},
			},
		}},
	}
	done := make(chan error, 1)
	go func() {
		done <- kp.Create(name, cluster.CreateWithV1Alpha4Config(cfg), cluster.CreateWithWaitForReady(managementTimeout),
			cluster.CreateWithKubeconfigPath(os.DevNull), cluster.CreateWithDisplayUsage(false), cluster.CreateWithDisplaySalutation(false))
	}()
	if err := <-done; err != nil {
		return nil, fmt.Errorf("create management cluster %s: %w", name, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	raw, err := kp.KubeConfig(name, false)
	if err != nil {
		return nil, fmt.Errorf("kubeconfig of %s: %w", name, err)
	}
	rc, err := clientcmd.RESTConfigFromKubeConfig([]byte(raw))
	if err != nil {
		return nil, fmt.Errorf("kubeconfig of %s: %w", name, err)
	}
	return rc, nil
}

// workloadConfig waits for the workload cluster's kubeconfig Secret and for its API to answer
// through the Docker provider's load balancer, published on the host, and returns the config
// pointed at 127.0.0.1.
func workloadConfig(ctx context.Context, mgmt dynamic.Interface, name string) (*rest.Config, error) {
	var cfg *rest.Config
	err := poll(ctx, workloadTimeout, 5*time.Second, func() (bool, string, error) {
		raw, err := capi.WorkloadKubeconfig(ctx, mgmt, metav1.NamespaceDefault, name)
		if err != nil {
			return false, "no kubeconfig Secret yet", nil
		}
		c, err := clientcmd.RESTConfigFromKubeConfig(raw)
		if err != nil {
			return false, "", err
		}
		hostPort, err := dockercli.PublishedPort(ctx, name+"-lb", 6443)
		if err != nil {
			return false, "load balancer port not published yet", nil
		}
		c.Host = "https://" + hostPort
		c.Timeout = 30 * time.Second
		cs, err := kubernetes.NewForConfig(c)
		if err != nil {
			return false, "", err
		}
		if _, err := cs.Discovery().ServerVersion(); err != nil {
			return false, "API not answering yet: " + err.Error(), nil
		}
		cfg = c
		return true, "", nil
	})
	if err != nil {
		return nil, fmt.Errorf("workload cluster %s API: %w", name, err)
	}
	return cfg, nil
}

// waitNodes waits until want nodes are Ready.
func waitNodes(ctx context.Context, cs kubernetes.Interface, want int, timeout time.Duration) error {
	err := poll(ctx, timeout, 5*time.Second, func() (bool, string, error) {
		nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err.Error(), nil
		}
		ready := 0
		for _, n := range nodes.Items {
			for _, c := range n.Status.Conditions {
				if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
					ready++
				}
			}
		}
		return ready >= want, fmt.Sprintf("%d of %d nodes Ready", ready, want), nil
	})
	if err != nil {
		return fmt.Errorf("workload cluster nodes: %w", err)
	}
	return nil
}

// waitApps waits until every Deployment has all its replicas Ready.
func waitApps(ctx context.Context, cs kubernetes.Interface, apps *appObjects, timeout time.Duration) error {
	err := poll(ctx, timeout, 3*time.Second, func() (bool, string, error) {
		for _, d := range apps.Deployments {
			got, err := cs.AppsV1().Deployments(d.Namespace).Get(ctx, d.Name, metav1.GetOptions{})
			if err != nil {
				return false, err.Error(), nil
			}
			want := int32(1)
			if got.Spec.Replicas != nil {
				want = *got.Spec.Replicas
			}
			if got.Status.ReadyReplicas < want || got.Status.UpdatedReplicas < want {
				return false, fmt.Sprintf("%s: %d of %d Ready", d.Name, got.Status.ReadyReplicas, want), nil
			}
		}
		return true, "", nil
	})
	if err != nil {
		return fmt.Errorf("workloads: %w", err)
	}
	return nil
}

// waitURLs waits until every target answers 200 through the edge load balancer.
func waitURLs(ctx context.Context, targets map[string]string, timeout time.Duration) error {
	client := &http.Client{Timeout: 2 * time.Second}
	err := poll(ctx, timeout, time.Second, func() (bool, string, error) {
		for name, u := range targets {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
			if err != nil {
				return false, "", err
			}
			resp, err := client.Do(req)
			if err != nil {
				return false, name + ": " + err.Error(), nil
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return false, fmt.Sprintf("%s: %s", name, resp.Status), nil
			}
		}
		return true, "", nil
	})
	if err != nil {
		return fmt.Errorf("edge load balancer: %w", err)
	}
	return nil
}

// every calls f every interval until ctx ends (the background loops of a run).
func every(ctx context.Context, interval time.Duration, f func()) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			f()
		}
	}
}

// poll calls cond every interval until it is done, timeout passes or ctx ends.
func poll(ctx context.Context, timeout, interval time.Duration, cond func() (bool, string, error)) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	last := ""
	for {
		done, detail, err := cond()
		if err != nil {
			return err
		}
		if done {
			return nil
		}
		last = detail
		t := time.NewTimer(interval)
		select {
		case <-ctx.Done():
			t.Stop()
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return fmt.Errorf("not done after %s (%s): %w", timeout, last, ctx.Err())
			}
			return fmt.Errorf("stopped while waiting (%s): %w", last, ctx.Err())
		case <-t.C:
		}
	}
}

// retry calls f every 5 seconds until it succeeds, timeout passes or ctx ends (a webhook that
// has just started may still refuse connections).
func retry(ctx context.Context, timeout time.Duration, f func() error) error {
	var last error
	err := poll(ctx, timeout, 5*time.Second, func() (bool, string, error) {
		last = f()
		if last != nil && ctx.Err() != nil {
			return false, "", last
		}
		return last == nil, fmt.Sprint(last), nil
	})
	if err != nil && last != nil {
		return fmt.Errorf("%w (last error: %w)", err, last)
	}
	return err
}
