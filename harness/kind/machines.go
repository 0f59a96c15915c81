package kind

import (
	"context"
	"fmt"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/zdt-dev/zdt/harness/capi"
)

// The Docker provider sets a new node's spec.providerID itself, by patching the Node once it
// exists. A machine that boots slowly (2 cores, several machines at once) makes it fail "node
// not found" many times in a row, and controller-runtime's exponential backoff (5 ms doubling
// to 1000 s) then leaves the Node without a providerID for minutes: Cluster API cannot match
// the Machine to its Node (no nodeRef), the rollout waits for it, and would delete it without
// a drain. That delay belongs to the test provider, not to Cluster API or kubeadm, so on the
// clusters it creates zdt requeues such a DockerMachine (an annotation change is a watch event,
// reconciled at once) and logs it.
var dockerMachines = schema.GroupVersionResource{Group: "infrastructure.cluster.x-k8s.io", Version: "v1beta2", Resource: "dockermachines"}

const (
	// unmatchedGrace is how long a Node may exist without a providerID before zdt requeues
	// its DockerMachine: the provider's first tries take a few seconds.
	unmatchedGrace = 10 * time.Second
	// requeueEvery spaces the requeues of one DockerMachine.
	requeueEvery = 20 * time.Second
)

// machineMatcher requeues the DockerMachines of Machines whose Node lacks a providerID.
type machineMatcher struct {
	mgmt     dynamic.Interface
	workload kubernetes.Interface
	cluster  string
	now      func() time.Time
	log      func(format string, args ...any)
	// seen is when each Machine's Node was first found without a providerID; requeued when
	// its DockerMachine was last requeued.
	seen, requeued map[string]time.Time
}

func newMachineMatcher(mgmt dynamic.Interface, workload kubernetes.Interface, cluster string, log func(string, ...any)) *machineMatcher {
	return &machineMatcher{mgmt: mgmt, workload: workload, cluster: cluster, now: time.Now, log: log,
		seen: map[string]time.Time{}, requeued: map[string]time.Time{}}
}

// step looks once: it returns the Machines still without a nodeRef, requeueing the
// DockerMachines of those whose Node has waited unmatchedGrace.
func (m *machineMatcher) step(ctx context.Context) ([]string, error) {
	unmatched, err := capi.MachinesWithoutNode(ctx, m.mgmt, metav1.NamespaceDefault, m.cluster)
	if err != nil {
		return nil, err
	}
	var names []string
	now := m.now()
	for _, mr := range unmatched {
		names = append(names, mr.Name)
		if mr.InfraKind != "DockerMachine" || mr.InfraName == "" {
			continue
		}
		// The Docker provider names the container, and so the Node, after the DockerMachine.
		n, err := m.workload.CoreV1().Nodes().Get(ctx, mr.InfraName, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			continue // still booting
		case err != nil:
			return nil, err
		case n.Spec.ProviderID != "":
			continue // set; Cluster API matches it at its next reconcile
		}
		first, ok := m.seen[mr.Name]
		if !ok {
			m.seen[mr.Name] = now
			continue
		}
		if now.Sub(first) < unmatchedGrace || now.Sub(m.requeued[mr.Name]) < requeueEvery {
			continue
		}
		patch := fmt.Sprintf(`{"metadata":{"annotations":{"zdt.dev/requeued-at":%q}}}`, now.UTC().Format(time.RFC3339))
		if _, err := m.mgmt.Resource(dockerMachines).Namespace(metav1.NamespaceDefault).Patch(ctx, mr.InfraName, types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
			return nil, fmt.Errorf("requeue DockerMachine %s: %w", mr.InfraName, err)
		}
		m.requeued[mr.Name] = now
		if m.log != nil {
			m.log("machine %s: node %s has had no providerID for %s (the Docker provider's retry backoff); requeued its DockerMachine", mr.Name, n.Name, now.Sub(first).Round(time.Second))
		}
	}
	return names, nil
}

// wait steps until every Machine has a nodeRef, at most timeout.
func (m *machineMatcher) wait(ctx context.Context, timeout time.Duration) error {
	err := poll(ctx, timeout, 3*time.Second, func() (bool, string, error) {
		names, err := m.step(ctx)
		if err != nil {
			return false, err.Error(), nil
		}
		return len(names) == 0, "machines without a nodeRef: " + strings.Join(names, ", "), nil
	})
	if err != nil {
		return fmt.Errorf("workload cluster machines: %w", err)
	}
	return nil
}

// run steps every interval until ctx ends: machines the upgrade creates boot while others
// drain, the busiest time for the provider.
func (m *machineMatcher) run(ctx context.Context, interval time.Duration) {
	every(ctx, interval, func() {
		if _, err := m.step(ctx); err != nil && ctx.Err() == nil && m.log != nil {
			m.log("machines: %v", err)
		}
	})
}
