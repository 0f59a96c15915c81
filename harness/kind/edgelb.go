package kind

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/template"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/zdt-dev/zdt/harness/internal/kube"
	"github.com/zdt-dev/zdt/harness/kind/internal/dockercli"
	"github.com/zdt-dev/zdt/scenarios"
)

// edgeFrontendPort is the container port of the first workload's frontend; the others follow.
const edgeFrontendPort = 10000

// haproxyConfigPath is where zdt's haproxy image reads its configuration.
const haproxyConfigPath = "/usr/local/etc/haproxy/haproxy.cfg"

// edgeBackend is one workload behind the edge load balancer: its frontend port in the load
// balancer's container and its Service's NodePort on every worker.
type edgeBackend struct {
	Name     string
	Frontend int
	NodePort int32
}

// edgeNode is a worker the load balancer sends traffic to.
type edgeNode struct {
	Name, IP string
}

// edgeConfig renders the edge load balancer's haproxy configuration: one HTTP frontend per
// workload, balanced over the NodePort of every worker whose data plane serves, each worker health-checked on the app's
// /readyz every second, and a request whose connection fails retried on another worker, as a
// cloud load balancer in front of a NodePort Service does.
func edgeConfig(backends []edgeBackend, nodes []edgeNode) (string, error) {
	ns := append([]edgeNode(nil), nodes...)
	sort.Slice(ns, func(i, j int) bool { return ns[i].Name < ns[j].Name })
	var b bytes.Buffer
	err := edgeTemplate.Execute(&b, struct {
		Backends []edgeBackend
		Nodes    []edgeNode
	}{backends, ns})
	if err != nil {
		return "", fmt.Errorf("render the edge load balancer configuration: %w", err)
	}
	return b.String(), nil
}

var edgeTemplate = template.Must(template.New("edge").Parse(`# zdt's edge load balancer, rewritten as workers come and go.
global
  log stdout format raw local0
  maxconn 4096
defaults
  mode http
  log global
  option dontlognull
  option redispatch
  retries 3
  retry-on conn-failure empty-response
  timeout connect 2s
  timeout client 60s
  timeout server 30s
  timeout http-keep-alive 60s
{{range $b := .Backends}}
frontend {{$b.Name}}
  bind *:{{$b.Frontend}}
  default_backend {{$b.Name}}

backend {{$b.Name}}
  balance roundrobin
  option httpchk GET /readyz
  http-check expect status 200
  default-server inter 1s fall 2 rise 2
{{- range $.Nodes}}
  server {{.Name}} {{.IP}}:{{$b.NodePort}} check
{{- end}}
{{end}}`))

// dataplanePods are the kube-system DaemonSets a worker's NodePort needs: kube-proxy programs
// the NodePort and the route agent the routes to the other nodes' pod CIDRs.
var dataplanePods = []struct{ label, value string }{{"k8s-app", "kube-proxy"}, {"app", "zdt-route-agent"}}

// dataplaneReady returns the nodes on which every pod of dataplanePods is Ready. A node is Ready
// as soon as its kubelet and CNI configuration are, seconds before its kube-proxy and route agent
// run: a NodePort there refuses connections or sends them to pod addresses it has no route to
// yet (out through the node's default route, where something else may answer).
func dataplaneReady(pods []corev1.Pod) map[string]bool {
	ready := map[string]map[int]bool{}
	for i := range pods {
		p := &pods[i]
		if p.Spec.NodeName == "" || p.DeletionTimestamp != nil || !kube.PodReady(p) {
			continue
		}
		for j, d := range dataplanePods {
			if p.Labels[d.label] == d.value {
				if ready[p.Spec.NodeName] == nil {
					ready[p.Spec.NodeName] = map[int]bool{}
				}
				ready[p.Spec.NodeName][j] = true
			}
		}
	}
	out := map[string]bool{}
	for n, have := range ready {
		out[n] = len(have) == len(dataplanePods)
	}
	return out
}

// edgeNodes returns the workers that should receive traffic: every worker that is Ready, not
// cordoned, not being deleted, and whose kube-proxy and route agent are Ready (serving).
func edgeNodes(nodes []corev1.Node, serving map[string]bool) []edgeNode {
	var out []edgeNode
	for i := range nodes {
		n := &nodes[i]
		if _, cp := n.Labels["node-role.kubernetes.io/control-plane"]; cp || n.Spec.Unschedulable || n.DeletionTimestamp != nil {
			continue
		}
		if !serving[n.Name] {
			continue
		}
		ready := false
		for _, c := range n.Status.Conditions {
			if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
				ready = true
			}
		}
		if !ready {
			continue
		}
		for _, a := range n.Status.Addresses {
			if a.Type == corev1.NodeInternalIP {
				out = append(out, edgeNode{Name: n.Name, IP: a.Address})
				break
			}
		}
	}
	return out
}

// edgeLB is the edge load balancer container of one workload cluster.
type edgeLB struct {
	container string
	backends  []edgeBackend
	workload  kubernetes.Interface
	log       func(format string, args ...any)
	current   string
}

// start creates the container on the kind network with every frontend published on
// 127.0.0.1, with the configuration of the workers there are now, and returns the URL of each
// workload.
func (lb *edgeLB) start(ctx context.Context, image, run string) (map[string]string, error) {
	cfg, err := lb.render(ctx)
	if err != nil {
		return nil, err
	}
	args := []string{"create", "--name", lb.container, "--network", "kind",
		"--label", dockercli.LabelOwned + "=true", "--label", dockercli.LabelRun + "=" + run}
	for _, b := range lb.backends {
		args = append(args, "-p", fmt.Sprintf("127.0.0.1::%d", b.Frontend))
	}
	args = append(args, image)
	if _, err := dockercli.Run(ctx, nil, args...); err != nil {
		return nil, fmt.Errorf("edge load balancer: %w", err)
	}
	if err := lb.write(ctx, cfg); err != nil {
		return nil, err
	}
	if _, err := dockercli.Run(ctx, nil, "start", lb.container); err != nil {
		return nil, fmt.Errorf("edge load balancer: %w", err)
	}
	lb.current = cfg
	urls := map[string]string{}
	for _, b := range lb.backends {
		hostPort, err := dockercli.PublishedPort(ctx, lb.container, b.Frontend)
		if err != nil {
			return nil, fmt.Errorf("edge load balancer: %w", err)
		}
		urls[b.Name] = "http://" + hostPort + "/"
	}
	return urls, nil
}

// render reads the workers and renders the configuration.
func (lb *edgeLB) render(ctx context.Context) (string, error) {
	nodes, err := lb.workload.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return "", fmt.Errorf("edge load balancer: list nodes: %w", err)
	}
	pods, err := lb.workload.CoreV1().Pods("kube-system").List(ctx, metav1.ListOptions{})
	if err != nil {
		return "", fmt.Errorf("edge load balancer: list kube-system pods: %w", err)
	}
	return edgeConfig(lb.backends, edgeNodes(nodes.Items, dataplaneReady(pods.Items)))
}

// write copies cfg into the container.
func (lb *edgeLB) write(ctx context.Context, cfg string) error {
	dir, err := os.MkdirTemp("", "zdt-edge-")
	if err != nil {
		return fmt.Errorf("edge load balancer: %w", err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "haproxy.cfg")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		return fmt.Errorf("edge load balancer: %w", err)
	}
	if _, err := dockercli.Run(ctx, nil, "cp", path, lb.container+":"+haproxyConfigPath); err != nil {
		return fmt.Errorf("edge load balancer: %w", err)
	}
	return nil
}

// sync keeps the configuration in step with the workers every interval until ctx ends: a new
// configuration is copied in and haproxy reloads it (SIGUSR2: the old worker process finishes
// the requests it holds).
func (lb *edgeLB) sync(ctx context.Context, interval time.Duration) {
	every(ctx, interval, func() {
		cfg, err := lb.render(ctx)
		if err != nil || cfg == lb.current {
			return
		}
		if err := lb.write(ctx, cfg); err != nil {
			lb.log("edge load balancer: %v", err)
			return
		}
		if _, err := dockercli.Run(ctx, nil, "kill", "-s", "USR2", lb.container); err != nil {
			lb.log("edge load balancer: reload: %v", err)
			return
		}
		lb.current = cfg
		lb.log("edge load balancer: workers now %s", strings.Join(serverNames(cfg), ", "))
	})
}

// serverNames lists the distinct servers of a configuration.
func serverNames(cfg string) []string {
	seen := map[string]bool{}
	var out []string
	for _, l := range strings.Split(cfg, "\n") {
		f := strings.Fields(l)
		if len(f) >= 2 && f[0] == "server" && !seen[f[1]] {
			seen[f[1]] = true
			out = append(out, f[1])
		}
	}
	return out
}

// EdgeTargets returns the URL on 127.0.0.1 of each workload behind a running edge load
// balancer container, workloads in the scenario's order (as Create published them).
func EdgeTargets(ctx context.Context, container string, sc *scenarios.Scenario) (map[string]string, error) {
	urls := map[string]string{}
	for i, w := range sc.Spec.Workloads {
		hostPort, err := dockercli.PublishedPort(ctx, container, edgeFrontendPort+i)
		if err != nil {
			return nil, fmt.Errorf("edge load balancer: %w", err)
		}
		urls[w.Name] = "http://" + hostPort + "/"
	}
	return urls, nil
}
