// Package timeline turns what informers see of a real cluster into the timeline intervals the
// simulator writes.
package timeline

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/zdt-dev/zdt/harness/capi/internal/drain"
	"github.com/zdt-dev/zdt/harness/capi/internal/objects"
	"github.com/zdt-dev/zdt/harness/internal/kube"
	"github.com/zdt-dev/zdt/model"
	"github.com/zdt-dev/zdt/scenarios/faults"
)

// Timeline turns changes of Machines, Nodes, Pods and EndpointSlices into the timeline intervals
// the simulator writes, with the same reasons, levels and locators. Its On* methods are called
// by informers (from several goroutines) and are safe for concurrent use; times are taken from
// now when a change is seen.
type Timeline struct {
	mu       sync.Mutex
	rec      model.Recorder
	now      func() time.Duration
	err      error
	machines map[string]*machineState
	nodes    map[string]*nodeState
	pods     map[string]*podState
	slices   map[string]map[string]endpointState
	// closing is set by Close: what it records had not ended by itself and is cut short.
	closing bool
	// OnEvent, when set before the informers start, hears the rollout's events faults can be
	// timed to. It is called with the Timeline's lock held and must not call back into it.
	OnEvent func(ev faults.Event)
}

type machineState struct {
	name, pool, node, version string
	// fresh machines were created during the run; their creation is an interval.
	fresh, joined bool
	created       time.Duration
	deleting      bool
	deletingAt    time.Duration
	// drainSeen is set once the machine's drain began (its deletion or its drain was seen).
	drainSeen bool
	draining  bool
	drainFrom time.Duration
	stalls    map[string]*stall
}

// stall is an eviction refused while a drain goes on: by a PDB (a PDB stall) or by an error.
type stall struct {
	pod, ns, pdb, reason string
	from                 time.Duration
	seen                 int
}

type nodeState struct {
	ready, notReady, cordoned bool
	controlPlane              bool
	notReadyFrom, cordonFrom  time.Duration
	pool                      string
}

type podState struct {
	name, workload, node  string
	notReady, terminating bool
	notReadyFrom, termAt  time.Duration
}

type endpointState struct {
	ready bool
	node  string
}

// newTimeline returns a Timeline writing to rec, with now giving the offset from the start of
// the run.
func New(rec model.Recorder, now func() time.Duration) *Timeline {
	return &Timeline{
		rec: rec, now: now,
		machines: map[string]*machineState{},
		nodes:    map[string]*nodeState{},
		pods:     map[string]*podState{},
		slices:   map[string]map[string]endpointState{},
	}
}

// record writes an interval, keeping the first error for Err.
func (t *Timeline) record(level model.Level, loc model.Locator, reason model.Reason, msg string, from, to time.Duration) {
	iv := &model.Interval{Level: level, Locator: loc, Reason: reason, Message: msg, From: from, To: to, CutShort: t.closing}
	if err := t.rec.Interval(iv); err != nil && t.err == nil {
		t.err = err
	}
}

// Err returns the first error the recorder returned.
func (t *Timeline) Err() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.err
}

func (m *machineState) loc() model.Locator {
	return model.Locator{Machine: m.name, Node: m.node, Pool: m.pool}
}

// OnMachine records a Machine added or changed. initial is set for the machines that existed
// when recording started: their creation is not part of the run.
func (t *Timeline) OnMachine(u *unstructured.Unstructured, initial bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	m := t.machines[u.GetName()]
	if m == nil {
		m = &machineState{name: u.GetName(), fresh: !initial, created: now, stalls: map[string]*stall{}}
		t.machines[m.name] = m
		if m.fresh {
			t.event(faults.EventMachineCreated)
		}
	}
	m.pool, m.version = objects.MachinePool(u), objects.MachineVersion(u)
	if n := objects.MachineNode(u); n != "" {
		m.node = n
		if ns := t.nodes[n]; ns != nil {
			ns.pool = m.pool
		}
	}
	t.machineJoined(m, now)
	if objects.Deleting(u) && !m.deleting {
		m.deleting, m.deletingAt = true, now
	}
	draining, msg := objects.DrainState(u)
	if (m.deleting || draining) && !m.drainSeen && !initial {
		// Cluster API drains a machine as soon as it begins deleting it; a quick drain may
		// never show in the conditions.
		m.drainSeen = true
		t.event(faults.EventNodeDrain)
	}
	switch {
	case draining && !m.draining:
		m.draining, m.drainFrom = true, now
		t.syncStalls(m, drain.Parse(msg), now)
	case draining:
		t.syncStalls(m, drain.Parse(msg), now)
	case m.draining:
		t.endDrain(m, now)
	}
}

// OnMachineDeleted records a Machine gone.
func (t *Timeline) OnMachineDeleted(name string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	m := t.machines[name]
	if m == nil {
		return
	}
	delete(t.machines, name)
	if m.draining {
		t.endDrain(m, now)
	}
	from := now
	if m.deleting {
		from = m.deletingAt
	}
	t.record(model.Info, m.loc(), model.ReasonMachineDeleted, "machine "+m.name+" deleted", from, now)
}

// machineJoined records a fresh machine's creation once its node is Ready.
func (t *Timeline) machineJoined(m *machineState, now time.Duration) {
	if !m.fresh || m.joined || m.node == "" {
		return
	}
	if n := t.nodes[m.node]; n == nil || !n.ready {
		return
	}
	m.joined = true
	t.record(model.Info, m.loc(), model.ReasonMachineCreated,
		fmt.Sprintf("machine %s created and Ready at %s", m.name, m.version), m.created, now)
}

// syncStalls opens a stall for every refusal the drain message names, and closes those it no
// longer names.
func (t *Timeline) syncStalls(m *machineState, r drain.Report, now time.Duration) {
	seen := map[string]bool{}
	for _, ref := range r.Refused {
		key := ref.Namespace + "/" + ref.Pod
		seen[key] = true
		st := m.stalls[key]
		if st == nil || st.pdb != ref.PDB {
			if st != nil {
				t.closeStall(m, key, now)
			}
			st = &stall{pod: ref.Pod, ns: ref.Namespace, pdb: ref.PDB, from: now}
			m.stalls[key] = st
		}
		st.seen++
		st.reason = ref.Reason
	}
	for key := range m.stalls {
		if !seen[key] {
			t.closeStall(m, key, now)
		}
	}
}

func (t *Timeline) closeStall(m *machineState, key string, now time.Duration) {
	st := m.stalls[key]
	delete(m.stalls, key)
	level, reason := model.Warning, model.ReasonEvictionBlocked
	if st.pdb == "" {
		level, reason = model.Error, model.ReasonEvictionFailed
	}
	loc := model.Locator{Machine: m.name, Node: m.node, Pool: m.pool, Pod: st.pod, PDB: st.pdb}
	if p := t.pods[key]; p != nil {
		loc.Workload = p.workload
	}
	t.record(level, loc, reason,
		fmt.Sprintf("drain of %s blocked %d time(s): %s", m.node, st.seen, st.reason), st.from, now)
}

// stallsOfPod closes the stalls of a pod that is going away: its eviction went through.
func (t *Timeline) stallsOfPod(key string, now time.Duration) {
	for _, m := range t.machines {
		if m.stalls[key] != nil {
			t.closeStall(m, key, now)
		}
	}
}

func (t *Timeline) endDrain(m *machineState, now time.Duration) {
	keys := make([]string, 0, len(m.stalls))
	for k := range m.stalls {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		t.closeStall(m, k, now)
	}
	m.draining = false
	t.record(model.Info, m.loc(), model.ReasonNodeDrain, "drain of "+m.node, m.drainFrom, now)
}

// OnNode records a Node added or changed.
func (t *Timeline) OnNode(n *corev1.Node) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	s := t.nodes[n.Name]
	if s == nil {
		s = &nodeState{}
		t.nodes[n.Name] = s
		for _, m := range t.machines {
			if m.node == n.Name {
				s.pool = m.pool
			}
		}
	}
	_, s.controlPlane = n.Labels[labelControlPlane]
	ready := kube.NodeReady(n)
	switch {
	case ready && s.notReady:
		s.notReady = false
		t.record(model.Error, t.nodeLoc(n.Name), model.ReasonNodeNotReady, n.Name+" NotReady", s.notReadyFrom, now)
	case !ready && s.ready:
		s.notReady, s.notReadyFrom = true, now
	}
	s.ready = ready
	switch {
	case n.Spec.Unschedulable && !s.cordoned:
		s.cordoned, s.cordonFrom = true, now
	case !n.Spec.Unschedulable && s.cordoned:
		s.cordoned = false
		t.record(model.Info, t.nodeLoc(n.Name), model.ReasonNodeCordoned, n.Name+" cordoned", s.cordonFrom, now)
	}
	if ready {
		for _, m := range t.machines {
			if m.node == n.Name {
				t.machineJoined(m, now)
			}
		}
	}
}

// OnNodeDeleted records a Node gone, closing its cordon and NotReady intervals.
func (t *Timeline) OnNodeDeleted(name string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.closeNode(name, t.now())
	delete(t.nodes, name)
}

func (t *Timeline) closeNode(name string, now time.Duration) {
	s := t.nodes[name]
	if s == nil {
		return
	}
	if s.notReady {
		s.notReady = false
		t.record(model.Error, t.nodeLoc(name), model.ReasonNodeNotReady, name+" NotReady", s.notReadyFrom, now)
	}
	if s.cordoned {
		s.cordoned = false
		t.record(model.Info, t.nodeLoc(name), model.ReasonNodeCordoned, name+" cordoned", s.cordonFrom, now)
	}
}

func (t *Timeline) nodeLoc(name string) model.Locator {
	l := model.Locator{Node: name}
	for _, m := range t.machines {
		if m.node == name {
			l.Machine, l.Pool = m.name, m.pool
		}
	}
	if l.Pool == "" && t.nodes[name] != nil {
		l.Pool = t.nodes[name].pool
	}
	return l
}

// workloadOf names the Deployment of a pod: its ReplicaSet's name without the pod template
// hash. A pod of another controller is named by its controller; a bare pod by itself.
func workloadOf(p *corev1.Pod) string {
	for _, o := range p.OwnerReferences {
		if o.Controller == nil || !*o.Controller {
			continue
		}
		if o.Kind == "ReplicaSet" {
			if h := p.Labels["pod-template-hash"]; h != "" {
				return strings.TrimSuffix(o.Name, "-"+h)
			}
		}
		return o.Name
	}
	return p.Name
}

func (p *podState) loc() model.Locator {
	return model.Locator{Workload: p.workload, Pod: p.name, Node: p.node}
}

// OnPod records a Pod added or changed.
func (t *Timeline) OnPod(p *corev1.Pod) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	key := p.Namespace + "/" + p.Name
	s := t.pods[key]
	if s == nil {
		s = &podState{name: p.Name, workload: workloadOf(p)}
		t.pods[key] = s
	}
	if p.Spec.NodeName != "" {
		s.node = p.Spec.NodeName
	}
	ready := kube.PodReady(p)
	if p.DeletionTimestamp != nil && !s.terminating {
		s.terminating, s.termAt = true, now
		t.closePodNotReady(s, now)
		t.stallsOfPod(key, now)
	}
	switch {
	case s.terminating:
	case ready:
		t.closePodNotReady(s, now)
	case !s.notReady:
		s.notReady, s.notReadyFrom = true, now
	}
}

func (t *Timeline) closePodNotReady(s *podState, now time.Duration) {
	if !s.notReady {
		return
	}
	s.notReady = false
	t.record(model.Info, s.loc(), model.ReasonPodNotReady, s.name+" not ready", s.notReadyFrom, now)
}

// OnPodDeleted records a Pod gone.
func (t *Timeline) OnPodDeleted(namespace, name string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	key := namespace + "/" + name
	s := t.pods[key]
	if s == nil {
		return
	}
	delete(t.pods, key)
	t.closePodNotReady(s, now)
	t.stallsOfPod(key, now)
	from := now
	if s.terminating {
		from = s.termAt
	}
	t.record(model.Info, s.loc(), model.ReasonPodTerminating, s.name+" terminating", from, now)
}

// OnEndpointSlice records the endpoints of a slice that stopped being ready (not ready,
// terminating, or removed), as the simulator does: one instant per endpoint taken out of its
// service.
func (t *Timeline) OnEndpointSlice(es *discoveryv1.EndpointSlice) {
	t.mu.Lock()
	defer t.mu.Unlock()
	key := es.Namespace + "/" + es.Name
	next := map[string]endpointState{}
	for _, e := range es.Endpoints {
		if e.TargetRef == nil || e.TargetRef.Kind != "Pod" {
			continue
		}
		st := endpointState{ready: e.Conditions.Ready == nil || *e.Conditions.Ready}
		if e.NodeName != nil {
			st.node = *e.NodeName
		}
		next[e.TargetRef.Name] = st
	}
	t.endpointsChanged(es.Namespace, es.Labels[discoveryv1.LabelServiceName], t.slices[key], next)
	t.slices[key] = next
}

// OnEndpointSliceDeleted records every ready endpoint of a slice gone.
func (t *Timeline) OnEndpointSliceDeleted(namespace, name, service string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	key := namespace + "/" + name
	t.endpointsChanged(namespace, service, t.slices[key], nil)
	delete(t.slices, key)
}

func (t *Timeline) endpointsChanged(namespace, service string, prev, next map[string]endpointState) {
	now := t.now()
	pods := make([]string, 0, len(prev))
	for p := range prev {
		pods = append(pods, p)
	}
	sort.Strings(pods)
	for _, pod := range pods {
		if !prev[pod].ready || next[pod].ready {
			continue
		}
		loc := model.Locator{Workload: service, Pod: pod, Node: prev[pod].node}
		if s := t.pods[namespace+"/"+pod]; s != nil && s.workload != "" {
			loc.Workload = s.workload
		}
		t.record(model.Warning, loc, model.ReasonEndpointRemoved,
			"endpoint of "+pod+" removed from service "+service, now, now)
	}
}

// Close closes every interval still open (a machine being created or deleted, a drain, a PDB
// stall, a cordon, a NotReady node, a pod not ready or terminating) at this instant, marked as
// cut short, as the simulator does when a run stops, and returns the first recording error.
// Nothing is recorded after it.
func (t *Timeline) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closing {
		return t.err
	}
	t.closing = true
	now := t.now()
	names := make([]string, 0, len(t.machines))
	for n := range t.machines {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		m := t.machines[n]
		if m.draining {
			t.endDrain(m, now)
		}
		switch {
		case m.deleting:
			t.record(model.Info, m.loc(), model.ReasonMachineDeleted, "machine "+m.name+" being deleted", m.deletingAt, now)
		case m.fresh && !m.joined:
			t.record(model.Info, m.loc(), model.ReasonMachineCreated, "machine "+m.name+" created, not yet Ready", m.created, now)
		}
	}
	nodes := make([]string, 0, len(t.nodes))
	for n := range t.nodes {
		nodes = append(nodes, n)
	}
	sort.Strings(nodes)
	for _, n := range nodes {
		t.closeNode(n, now)
	}
	pods := make([]string, 0, len(t.pods))
	for p := range t.pods {
		pods = append(pods, p)
	}
	sort.Strings(pods)
	for _, p := range pods {
		s := t.pods[p]
		t.closePodNotReady(s, now)
		if s.terminating {
			t.record(model.Info, s.loc(), model.ReasonPodTerminating, s.name+" terminating, not yet gone", s.termAt, now)
		}
	}
	return t.err
}

func (t *Timeline) event(ev faults.Event) {
	if t.OnEvent != nil && !t.closing {
		t.OnEvent(ev)
	}
}

// labelControlPlane marks control plane nodes (kubeadm).
const labelControlPlane = "node-role.kubernetes.io/control-plane"

// NodeView is what the timeline knows of a node now: its pool, whether Cluster API is
// deleting or draining its machine.
type NodeView struct {
	Name, Pool                              string
	ControlPlane, Ready, Deleting, Draining bool
}

// Nodes returns every node the timeline knows, sorted by name.
func (t *Timeline) Nodes() []NodeView {
	t.mu.Lock()
	defer t.mu.Unlock()
	views := map[string]*NodeView{}
	for name, s := range t.nodes {
		views[name] = &NodeView{Name: name, Pool: s.pool, ControlPlane: s.controlPlane, Ready: s.ready}
	}
	for _, m := range t.machines {
		if v := views[m.node]; v != nil {
			v.Pool = m.pool
			v.Deleting = m.deleting
			v.Draining = m.draining
		}
	}
	out := make([]NodeView, 0, len(views))
	for _, v := range views {
		out = append(out, *v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Interval records an interval another part of the adapter measured (an injected fault), cut
// short when the run stopped before it ended.
func (t *Timeline) Interval(level model.Level, loc model.Locator, reason model.Reason, msg string, from, to time.Duration, cutShort bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	iv := &model.Interval{Level: level, Locator: loc, Reason: reason, Message: msg, From: from, To: to, CutShort: cutShort}
	if err := t.rec.Interval(iv); err != nil && t.err == nil {
		t.err = err
	}
}

// Instant records an event that has no duration, at this instant.
func (t *Timeline) Instant(level model.Level, loc model.Locator, reason model.Reason, msg string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	t.record(level, loc, reason, msg, now, now)
}

// Fail keeps err as the first recording error Err returns, unless there is one already.
func (t *Timeline) Fail(err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.err == nil {
		t.err = err
	}
}
