package capi

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"

	"github.com/zdt-dev/zdt/harness"
	"github.com/zdt-dev/zdt/harness/capi/internal/drain"
	"github.com/zdt-dev/zdt/harness/capi/internal/objects"
)

// versionPatch is the merge patch SetVersion sends to the Cluster: the only change zdt makes to
// start an upgrade.
func versionPatch(version string) ([]byte, error) {
	return json.Marshal(map[string]any{"spec": map[string]any{"topology": map[string]any{"version": version}}})
}

// SetVersion implements harness.Cluster: one merge patch of the Cluster's spec.topology.version.
func (c *Cluster) SetVersion(ctx context.Context, version string) error {
	body, err := versionPatch(version)
	if err != nil {
		return fmt.Errorf("set version: %w", err)
	}
	_, err = c.w.mgmt.Resource(c.res.Clusters).Namespace(c.w.namespace).
		Patch(ctx, c.w.name, types.MergePatchType, body, metav1.PatchOptions{FieldManager: "zdt"})
	if err != nil {
		return fmt.Errorf("set version of cluster %s/%s to %s: %w", c.w.namespace, c.w.name, version, err)
	}
	return nil
}

// Await implements harness.Cluster: it looks at the rollout every PollInterval until the
// milestone holds, ctx ends, or timeout passes (harness.ErrDeadline).
func (c *Cluster) Await(ctx context.Context, m harness.Milestone, timeout time.Duration) error {
	if timeout <= 0 {
		return fmt.Errorf("%w: no time left for %s", harness.ErrDeadline, milestoneName(m))
	}
	deadline := c.w.clock.NewTimer(timeout)
	defer deadline.Stop()
	tick := c.w.clock.NewTicker(c.opts.PollInterval)
	defer tick.Stop()
	last := ""
	for {
		ok, why, err := c.reached(ctx, m)
		switch {
		case ctx.Err() != nil:
			return &harness.WaitError{Err: ctx.Err(), Waiting: cmp.Or(last, milestoneName(m))}
		case err != nil:
			// A read failing during an upgrade (the API behind a rolling control plane) is
			// retried until the deadline: it is measured by the API prober, not a harness error.
			why = err.Error()
		case ok:
			return nil
		}
		last = why
		select {
		case <-ctx.Done():
			return &harness.WaitError{Err: ctx.Err(), Waiting: cmp.Or(last, milestoneName(m))}
		case <-deadline.C():
			return fmt.Errorf("%w: %s: %s", harness.ErrDeadline, milestoneName(m), last)
		case <-tick.C():
		}
	}
}

func milestoneName(m harness.Milestone) string {
	switch {
	case m.WorkloadsReady:
		return "workloads ready"
	case m.Pool == "":
		return "control plane at " + m.Version
	default:
		return "pool " + m.Pool + " at " + m.Version
	}
}

// reached reports whether the milestone holds, and if not, why.
func (c *Cluster) reached(ctx context.Context, m harness.Milestone) (bool, string, error) {
	if m.WorkloadsReady {
		return c.workloadsReady(ctx)
	}
	machines, err := c.w.mgmt.Resource(c.res.Machines).Namespace(c.w.namespace).
		List(ctx, metav1.ListOptions{LabelSelector: objects.LabelClusterName + "=" + c.w.name})
	if err != nil {
		return false, "", fmt.Errorf("list machines: %w", err)
	}
	if m.Pool == "" {
		kcp, err := c.controlPlane(ctx)
		if err != nil {
			return false, "", err
		}
		ok, why := controlPlaneAt(kcp, machines.Items, m.Version)
		return ok, why, nil
	}
	md, err := c.machineDeployment(ctx, m.Pool)
	if err != nil {
		return false, "", err
	}
	ok, why := poolAt(md, machines.Items, m.Version)
	return ok, why, nil
}

// controlPlane returns the Cluster's KubeadmControlPlane, by spec.controlPlaneRef.
func (c *Cluster) controlPlane(ctx context.Context) (*unstructured.Unstructured, error) {
	cl, err := c.w.mgmt.Resource(c.res.Clusters).Namespace(c.w.namespace).Get(ctx, c.w.name, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("get cluster %s/%s: %w", c.w.namespace, c.w.name, err)
	}
	name := objects.Str(cl, "spec", "controlPlaneRef", "name")
	if name == "" {
		return nil, fmt.Errorf("cluster %s/%s has no spec.controlPlaneRef yet", c.w.namespace, c.w.name)
	}
	kcp, err := c.w.mgmt.Resource(c.res.KubeadmControlPlanes).Namespace(c.w.namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("get control plane %s/%s: %w", c.w.namespace, name, err)
	}
	return kcp, nil
}

// machineDeployment returns the MachineDeployment of a pool: the one Cluster API labels with
// the pool's topology name.
func (c *Cluster) machineDeployment(ctx context.Context, pool string) (*unstructured.Unstructured, error) {
	list, err := c.w.mgmt.Resource(c.res.MachineDeployments).Namespace(c.w.namespace).List(ctx, metav1.ListOptions{
		LabelSelector: objects.LabelClusterName + "=" + c.w.name + "," + objects.LabelTopologyMDName + "=" + pool,
	})
	if err != nil {
		return nil, fmt.Errorf("list machine deployments of pool %s: %w", pool, err)
	}
	switch len(list.Items) {
	case 0:
		return nil, fmt.Errorf("no MachineDeployment labelled %s=%s in cluster %s/%s", objects.LabelTopologyMDName, pool, c.w.namespace, c.w.name)
	case 1:
		return &list.Items[0], nil
	}
	return nil, fmt.Errorf("%d MachineDeployments labelled %s=%s in cluster %s/%s", len(list.Items), objects.LabelTopologyMDName, pool, c.w.namespace, c.w.name)
}

// controlPlaneAt reports whether a KubeadmControlPlane is entirely at version: spec and status
// at version, every replica up to date and ready, and its machines (those of machines that
// belong to the control plane) all at version, with nodes, none being deleted. If not, it says
// why.
func controlPlaneAt(kcp *unstructured.Unstructured, machines []unstructured.Unstructured, version string) (bool, string) {
	var cp []unstructured.Unstructured
	for _, m := range machines {
		if objects.IsControlPlaneMachine(&m) {
			cp = append(cp, m)
		}
	}
	want, ok := objects.Num(kcp, "spec", "replicas")
	if !ok {
		want = 1
	}
	return at(cp, want, version, "control plane", func() (bool, string) {
		if v := objects.Str(kcp, "spec", "version"); v != version {
			return false, fmt.Sprintf("control plane spec.version is %s", v)
		}
		if v := objects.Str(kcp, "status", "version"); v != "" && v != version {
			return false, fmt.Sprintf("control plane status.version is %s", v)
		}
		return replicasAt(kcp, want, "control plane")
	})
}

// poolAt reports whether a MachineDeployment is entirely at version, as ControlPlaneAt does for
// the control plane.
func poolAt(md *unstructured.Unstructured, machines []unstructured.Unstructured, version string) (bool, string) {
	name := md.GetName()
	var own []unstructured.Unstructured
	for _, m := range machines {
		if m.GetLabels()[objects.LabelDeploymentName] == name {
			own = append(own, m)
		}
	}
	want, ok := objects.Num(md, "spec", "replicas")
	if !ok {
		want = 1
	}
	what := "pool " + cmp.Or(objects.Str(md, "metadata", "labels", objects.LabelTopologyMDName), name)
	return at(own, want, version, what, func() (bool, string) {
		if v := objects.Str(md, "spec", "template", "spec", "version"); v != version {
			return false, fmt.Sprintf("MachineDeployment %s template version is %s", name, v)
		}
		return replicasAt(md, want, "MachineDeployment "+name)
	})
}

// at reports whether the owner's status (status) and its machines are at version; when not, it
// says where the machines' rollout stands, with what the owner's status says in brackets.
func at(ms []unstructured.Unstructured, want int64, version, what string, status func() (bool, string)) (bool, string) {
	if ok, why := status(); !ok {
		return false, rollout(ms, version, what) + " (" + why + ")"
	}
	if ok, _ := machinesAt(ms, want, version, what); !ok {
		return false, rollout(ms, version, what)
	}
	return true, ""
}

// rollout says where a rollout of machines to version stands, in the simulator's words: how
// many are Ready at the version, how many are old, and each machine on its way in or out, e.g.
// "pool md-0: 2 machine(s) Ready at v1.36.3, 1 old; machine x-md-0-6 provisioning, not yet
// Ready; machine x-md-0-1 draining: refused by PDB web (pod web-3)".
func rollout(ms []unstructured.Unstructured, version, what string) string {
	var at, old int
	var coming, going []string
	for i := range ms {
		m := &ms[i]
		name := m.GetName()
		switch {
		case objects.Deleting(m):
			draining, msg := objects.DrainState(m)
			if !draining {
				going = append(going, "machine "+name+" being deleted")
				break
			}
			d := "machine " + name + " draining"
			var pdbs, pods []string
			for _, ref := range drain.Parse(msg).Refused {
				pods = append(pods, ref.Pod)
				if ref.PDB != "" && !slices.Contains(pdbs, ref.PDB) {
					pdbs = append(pdbs, ref.PDB)
				}
			}
			switch {
			case len(pdbs) > 0:
				d += fmt.Sprintf(": refused by PDB %s (pods %s)", strings.Join(pdbs, ", "), strings.Join(pods, ", "))
			case len(pods) > 0:
				d += fmt.Sprintf(": evictions failing (pods %s)", strings.Join(pods, ", "))
			}
			going = append(going, d)
		case objects.MachineVersion(m) != version:
			old++
		case objects.MachineNode(m) == "":
			phase := strings.ToLower(cmp.Or(objects.Str(m, "status", "phase"), "provisioning"))
			coming = append(coming, fmt.Sprintf("machine %s %s, not yet Ready", name, phase))
		case !objects.MachineNodeReady(m):
			coming = append(coming, fmt.Sprintf("machine %s joining: node %s not yet Ready", name, objects.MachineNode(m)))
		default:
			at++
		}
	}
	parts := []string{fmt.Sprintf("%s: %d machine(s) Ready at %s, %d old", what, at, version, old)}
	return strings.Join(append(append(parts, coming...), going...), "; ")
}

// replicasAt checks status.replicas, readyReplicas and the up-to-date count (v1beta2
// upToDateReplicas, v1beta1 updatedReplicas) against want.
func replicasAt(u *unstructured.Unstructured, want int64, what string) (bool, string) {
	got, _ := objects.Num(u, "status", "replicas")
	ready, _ := objects.Num(u, "status", "readyReplicas")
	upToDate, _ := objects.FirstNum(u, []string{"status", "upToDateReplicas"}, []string{"status", "updatedReplicas"})
	if got != want || ready != want || upToDate != want {
		return false, fmt.Sprintf("%s has %d replicas, %d ready, %d up to date, wants %d", what, got, ready, upToDate, want)
	}
	return true, ""
}

// machinesAt checks that exactly want machines remain, all at version, with a node, and none
// being deleted.
func machinesAt(ms []unstructured.Unstructured, want int64, version, what string) (bool, string) {
	if int64(len(ms)) != want {
		return false, fmt.Sprintf("%s has %d machines, wants %d", what, len(ms), want)
	}
	for i := range ms {
		m := &ms[i]
		switch {
		case objects.Deleting(m):
			return false, fmt.Sprintf("machine %s is being deleted", m.GetName())
		case objects.MachineVersion(m) != version:
			return false, fmt.Sprintf("machine %s is at %s", m.GetName(), objects.MachineVersion(m))
		case objects.MachineNode(m) == "":
			return false, fmt.Sprintf("machine %s has no node yet", m.GetName())
		case !objects.MachineNodeReady(m):
			return false, fmt.Sprintf("node %s of machine %s is not Ready", objects.MachineNode(m), m.GetName())
		}
	}
	return true, ""
}

// workloadsReady reports whether every Deployment of the app namespace has its desired count of
// ready, updated replicas.
func (c *Cluster) workloadsReady(ctx context.Context) (bool, string, error) {
	list, err := c.w.workload.AppsV1().Deployments(c.opts.AppNamespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return false, "", fmt.Errorf("list deployments: %w", err)
	}
	if len(list.Items) == 0 {
		return false, "", errors.New("no deployment in namespace " + c.opts.AppNamespace)
	}
	for _, d := range list.Items {
		want := int32(1)
		if d.Spec.Replicas != nil {
			want = *d.Spec.Replicas
		}
		if d.Status.ReadyReplicas < want || d.Status.UpdatedReplicas < want {
			return false, fmt.Sprintf("deployment %s has %d of %d replicas ready", d.Name, d.Status.ReadyReplicas, want), nil
		}
	}
	return true, "", nil
}
