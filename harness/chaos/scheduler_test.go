package chaos

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/zdt-dev/zdt/model"
	"github.com/zdt-dev/zdt/scenarios/faults"
)

type recorded struct {
	reason   model.Reason
	loc      model.Locator
	msg      string
	from, to time.Duration
	cutShort bool
}

type memRec struct {
	mu  sync.Mutex
	ivs []recorded
}

func (m *memRec) Interval(_ model.Level, loc model.Locator, reason model.Reason, msg string, from, to time.Duration, cutShort bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.ivs = append(m.ivs, recorded{reason, loc, msg, from, to, cutShort})
}

func (m *memRec) find(fault string) *recorded {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := range m.ivs {
		if m.ivs[i].loc.Fault == fault {
			return &m.ivs[i]
		}
	}
	return nil
}

func dur(d time.Duration) *metav1.Duration { return &metav1.Duration{Duration: d} }

// step advances the fake clock and gives the timer goroutines time to run.
func step(clk *clocktesting.FakeClock, d time.Duration, until func() bool) {
	clk.Step(d)
	for i := 0; i < 200 && !until(); i++ {
		time.Sleep(5 * time.Millisecond)
	}
}

// TestSchedulerTimesUndoesAndCutsShort runs three faults on a fake cluster: a cordon timed into
// a phase for 30 s (done, then undone, its interval 30 s long), a pod kill timed to the second
// drain, and a cordon that lasts (undone at Close, cut short); a fault waiting for an event
// that never comes is recorded as not applied.
func TestSchedulerTimesUndoesAndCutsShort(t *testing.T) {
	cs := fake.NewClientset(
		&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "w1"}},
		&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "w2"}},
		&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web-1", Namespace: "zdt", Labels: map[string]string{WorkloadLabel: "web"}},
			Status: corev1.PodStatus{Phase: corev1.PodRunning}},
	)
	clk := clocktesting.NewFakeClock(time.Unix(0, 0))
	start := clk.Now()
	now := func() time.Duration { return clk.Since(start) }
	rec := &memRec{}
	pool := model.PoolPhase("md-0")
	s := NewScheduler(SchedulerInput{
		Faults: []faults.Fault{
			{Name: "cordon", Kind: faults.NodeCordon, Target: faults.Target{Node: "w1"}, At: faults.Time{Phase: pool, After: metav1.Duration{Duration: 10 * time.Second}}, Duration: dur(30 * time.Second)},
			{Name: "kill", Kind: faults.PodKill, Target: faults.Target{Workload: "web"}, At: faults.Time{Phase: pool, Event: faults.EventNodeDrain, Nth: 2, After: metav1.Duration{Duration: 5 * time.Second}}},
			{Name: "lasting", Kind: faults.NodeCordon, Target: faults.Target{Node: "w2"}, At: faults.Time{Phase: pool}},
			{Name: "never", Kind: faults.NodeCordon, At: faults.Time{Phase: pool, Event: faults.EventMachineCreated, Nth: 9}},
		},
		Injectors: APIInjectors(), Recorder: rec, Clock: clk, Now: now, Seed: 1,
		Env: &Env{Client: cs, AppNamespace: "zdt", Nodes: func() []Node { return []Node{{Name: "w1"}, {Name: "w2"}} }},
	})
	unschedulable := func(name string) bool {
		n, err := cs.CoreV1().Nodes().Get(context.Background(), name, metav1.GetOptions{})
		return err == nil && n.Spec.Unschedulable
	}
	s.Event(faults.EventNodeDrain) // before the phase: not counted
	s.StartPhase(pool)
	step(clk, 0, func() bool { return unschedulable("w2") })
	step(clk, 10*time.Second, func() bool { return unschedulable("w1") })
	if !unschedulable("w1") || !unschedulable("w2") {
		t.Fatalf("cordons not applied: w1 %t, w2 %t", unschedulable("w1"), unschedulable("w2"))
	}
	s.Event(faults.EventNodeDrain)
	s.Event(faults.EventNodeDrain)
	podGone := func() bool {
		_, err := cs.CoreV1().Pods("zdt").Get(context.Background(), "web-1", metav1.GetOptions{})
		return err != nil
	}
	step(clk, 4*time.Second, podGone)
	if podGone() {
		t.Fatal("the pod was killed before its event's offset")
	}
	step(clk, time.Second, podGone)
	if !podGone() {
		t.Fatal("the pod was not killed 5 s after the second drain")
	}
	step(clk, 25*time.Second, func() bool { return rec.find("cordon") != nil })
	if c := rec.find("cordon"); c == nil || c.from != 10*time.Second || c.to != 40*time.Second || c.cutShort || unschedulable("w1") {
		t.Fatalf("cordon: %+v, w1 unschedulable %t; want 10s-40s, undone", c, unschedulable("w1"))
	}
	s.Close()
	if l := rec.find("lasting"); l == nil || !l.cutShort || l.to != 40*time.Second || unschedulable("w2") {
		t.Errorf("lasting cordon at Close: %+v, w2 unschedulable %t", l, unschedulable("w2"))
	}
	if k := rec.find("kill"); k == nil || k.from != 15*time.Second || !strings.Contains(k.msg, "killed web-1") {
		t.Errorf("kill: %+v", k)
	}
	if n := rec.find("never"); n == nil || n.reason != model.ReasonFaultNotApplied || !strings.Contains(n.msg, "9th MachineCreated in pool/md-0") {
		t.Errorf("never: %+v", n)
	}
}
