package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/zdt-dev/zdt/harness"
	"github.com/zdt-dev/zdt/model"
	"github.com/zdt-dev/zdt/scenarios"
)

// outcome is what a simulated run measured, in the shared data model.
type outcome struct {
	info      *model.RunInfo
	mem       *model.Memory
	requests  int64
	dropped   int64
	apiFailed int64
}

func runScenario(t testing.TB, name string, seed int64, edit func(*scenarios.Scenario)) *outcome {
	t.Helper()
	sc, _, err := scenarios.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	sc.Spec.Seed = &seed
	if edit != nil {
		edit(sc)
	}
	mem := &model.Memory{}
	info, err := harness.Run(context.Background(), sc, NewProvider(), mem, harness.Options{})
	if err != nil {
		t.Fatalf("run %s: %v", name, err)
	}
	o := &outcome{info: info, mem: mem}
	for i := range mem.Samples {
		s := &mem.Samples[i]
		if s.Target == model.APITarget {
			if !s.OK() {
				o.apiFailed += s.N()
			}
			continue
		}
		o.requests += s.N()
		if !s.OK() {
			o.dropped += s.N()
		}
	}
	return o
}

func (o *outcome) phase(name model.PhaseName) *model.Phase {
	for i := range o.info.Phases {
		if o.info.Phases[i].Name == name {
			return &o.info.Phases[i]
		}
	}
	return nil
}

// records is what a run recorded, encoded: its RunInfo, samples, intervals and states.
func records(t *testing.T, o *outcome) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	for _, v := range []any{o.info, o.mem.Samples, o.mem.Intervals, o.mem.States} {
		if err := enc.Encode(v); err != nil {
			t.Fatal(err)
		}
	}
	return b.Bytes()
}

func TestSameSeedSameRecords(t *testing.T) {
	for _, name := range []string{"ha-well-configured", "no-prestop-exit"} {
		a := records(t, runScenario(t, name, 42, nil))
		b := records(t, runScenario(t, name, 42, nil))
		if !bytes.Equal(a, b) {
			t.Errorf("%s: two runs with seed 42 differ", name)
		}
		c := records(t, runScenario(t, name, 43, nil))
		if bytes.Equal(a, c) {
			t.Errorf("%s: seeds 42 and 43 gave identical records; the seed is not used", name)
		}
	}
}

func TestWellConfiguredDropsNothing(t *testing.T) {
	for seed := int64(1); seed <= 5; seed++ {
		o := runScenario(t, "ha-well-configured", seed, nil)
		if o.requests == 0 {
			t.Fatal("no request was sent")
		}
		if o.dropped != 0 || o.apiFailed != 0 {
			t.Errorf("seed %d: %d of %d requests dropped, %d API probes failed; want none", seed, o.dropped, o.requests, o.apiFailed)
		}
		for _, ph := range o.info.Phases {
			if ph.Outcome != model.PhaseSucceeded {
				t.Errorf("seed %d: phase %s %s: %s", seed, ph.Name, ph.Outcome, ph.Message)
			}
		}
		if model.Failed(o.info.Postflight) {
			t.Errorf("seed %d: postflight failed: %+v", seed, o.info.Postflight)
		}
	}
}

func TestMisconfigurationsDropRequests(t *testing.T) {
	for _, name := range []string{"no-prestop-exit", "single-replica"} {
		for seed := int64(1); seed <= 5; seed++ {
			o := runScenario(t, name, seed, nil)
			if o.dropped == 0 {
				t.Errorf("%s seed %d: no request dropped out of %d", name, seed, o.requests)
			}
		}
	}
}

func TestPreStopAloneIsNotEnoughWhenShorterThanPropagation(t *testing.T) {
	// A preStop shorter than endpoint + kube-proxy propagation still drops requests when the
	// application exits at SIGTERM.
	o := runScenario(t, "ha-well-configured", 1, func(sc *scenarios.Scenario) {
		for i := range sc.Spec.Workloads {
			w := &sc.Spec.Workloads[i]
			w.PreStop.Sleep.Duration = 0
			w.Shutdown.OnSigterm = scenarios.ShutdownExit
		}
	})
	if o.dropped == 0 {
		t.Error("exit at SIGTERM without a preStop sleep dropped nothing")
	}
}

func TestBlockingPDBStallsTheDrain(t *testing.T) {
	o := runScenario(t, "pdb-blocks-drain", 1, nil)
	ph := o.phase("pool/md-0")
	if ph == nil || ph.Outcome != model.PhaseTimedOut {
		t.Fatalf("pool phase: %+v, want timedOut", ph)
	}
	stalls := map[string]bool{}
	for _, iv := range o.mem.Intervals {
		if iv.Reason == model.ReasonEvictionBlocked {
			stalls[iv.Locator.PDB] = true
			if !strings.Contains(iv.Message, "429") || iv.Locator.Node == "" || iv.Locator.Pod == "" {
				t.Errorf("stall interval lacks its cause or locator: %+v", iv)
			}
		}
	}
	for _, want := range []string{"web", "orders", "checkout"} {
		if !stalls[want] {
			t.Errorf("no PDB stall names PDB %q (stalls: %v)", want, stalls)
		}
	}
}

func TestSingleControlPlaneLosesTheAPIOnlyToARestart(t *testing.T) {
	o := runScenario(t, "single-control-plane", 1, nil)
	if o.apiFailed == 0 {
		t.Error("the only apiserver restarted without any API probe failing")
	}
	found := false
	for _, iv := range o.mem.Intervals {
		found = found || iv.Reason == model.ReasonAPIUnavailable && iv.Duration() > 0
	}
	if !found {
		t.Error("no APIUnavailable interval in the timeline")
	}
	// Its replacement alone costs nothing: the new member joins etcd as a learner.
	calm := runScenario(t, "single-control-plane", 1, func(sc *scenarios.Scenario) { sc.Spec.Faults = nil })
	if calm.apiFailed != 0 {
		t.Errorf("replacing a single control plane node: %d API probes failed", calm.apiFailed)
	}
	// Without learner mode, the join costs quorum for a moment.
	old := runScenario(t, "single-control-plane", 1, func(sc *scenarios.Scenario) {
		sc.Spec.Faults = nil
		sc.Spec.Calibration.EtcdQuorumLoss.Duration = 6 * time.Second
	})
	if old.apiFailed == 0 {
		t.Error("a voting member joining a one-member etcd lost no API probe")
	}
	// Three control plane nodes ride out the same restart behind the load balancer.
	ha := runScenario(t, "single-control-plane", 1, func(sc *scenarios.Scenario) { *sc.Spec.Cluster.ControlPlane.Replicas = 3 })
	if ha.apiFailed != 0 {
		t.Errorf("three control plane nodes, one apiserver restarted: %d API probes failed", ha.apiFailed)
	}
}

func TestStepwiseUpgradeRunsEveryStepInOrder(t *testing.T) {
	o := runScenario(t, "stepwise-two-minors", 1, nil)
	var got []string
	for _, ph := range o.info.Phases {
		got = append(got, string(ph.Name)+"@"+ph.Step)
	}
	want := "warm-up@ preflight@ control-plane@v1.36.3 pool/md-0@v1.36.3 control-plane@v1.37.2 pool/md-0@v1.37.2 postflight@"
	if strings.Join(got, " ") != want {
		t.Errorf("phases %v, want %s", got, want)
	}
}

func TestNotReadyNodeStopsTheRunBeforeAnyNodeIsTouched(t *testing.T) {
	// The node is NotReady from the start (spec.cluster.workerPools[].start), not crashed by a
	// fault timed after the warm-up.
	o := runScenario(t, "notready-at-start", 1, nil)
	if !model.Failed(o.info.Preflight) {
		t.Fatalf("preflight passed with a crashed worker: %+v", o.info.Preflight)
	}
	if len(o.info.Phases) != 2 || o.info.Phases[1].Name != "preflight" {
		t.Errorf("phases after a failed preflight: %+v", o.info.Phases)
	}
	for _, iv := range o.mem.Intervals {
		switch iv.Reason {
		case model.ReasonMachineCreated, model.ReasonMachineDeleted, model.ReasonNodeDrain, model.ReasonNodeCordoned:
			t.Errorf("a node was touched after a failed preflight: %+v", iv)
		}
	}
}

// TestShutdownModes runs the reference scenario with each behaviour at SIGTERM, with and
// without a preStop sleep: only an application that keeps accepting (Drain) rides out the
// endpoint propagation without a preStop sleep; Graceful and Exit need one.
func TestShutdownModes(t *testing.T) {
	for _, tc := range []struct {
		mode      scenarios.ShutdownMode
		preStop   time.Duration
		wantDrops bool
	}{
		{scenarios.ShutdownDrain, 0, false},
		{scenarios.ShutdownDrain, 5 * time.Second, false},
		{scenarios.ShutdownGraceful, 0, true},
		{scenarios.ShutdownGraceful, 5 * time.Second, false},
		{scenarios.ShutdownExit, 0, true},
	} {
		t.Run(fmt.Sprintf("%s/preStop %s", tc.mode, tc.preStop), func(t *testing.T) {
			for seed := int64(1); seed <= 3; seed++ {
				o := runScenario(t, "ha-well-configured", seed, func(sc *scenarios.Scenario) {
					for i := range sc.Spec.Workloads {
						w := &sc.Spec.Workloads[i]
						w.Shutdown.OnSigterm = tc.mode
						w.PreStop.Sleep.Duration = tc.preStop
					}
				})
				if (o.dropped > 0) != tc.wantDrops {
					t.Errorf("seed %d: %d of %d requests dropped, want drops %v", seed, o.dropped, o.requests, tc.wantDrops)
				}
			}
		})
	}
}

// TestPacedRunRecordsTheSame: --speed only paces the virtual clock against the wall clock; the
// records are those of the run at full speed, and the run takes at least its simulated time
// divided by the speed.
func TestPacedRunRecordsTheSame(t *testing.T) {
	sc, _, err := scenarios.Open("ha-well-configured")
	if err != nil {
		t.Fatal(err)
	}
	run := func(p *Provider) (*model.RunInfo, []byte) {
		mem := &model.Memory{}
		info, err := harness.Run(context.Background(), sc, p, mem, harness.Options{})
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(mem)
		if err != nil {
			t.Fatal(err)
		}
		return info, b
	}
	_, fast := run(NewProvider())
	const speed = 2000
	start := time.Now()
	info, paced := run(&Provider{Speed: speed})
	if took, least := time.Since(start), time.Duration(float64(info.End)/speed); took < least {
		t.Errorf("a paced run of %s at speed %d took %s, less than %s", info.End, speed, took, least)
	}
	if !bytes.Equal(fast, paced) {
		t.Error("the paced run recorded something else than the run at full speed")
	}
}

// skippingMemory is a model.Memory that says it reads no NodesByVersion.
type skippingMemory struct{ model.Memory }

func (*skippingMemory) SkipsNodeVersions() bool { return true }

// TestNodeVersionsLeftOutOnlyForARecorderThatSkipsThem checks that a recorder that says it reads
// no state sample's NodesByVersion (report.Judging) gets the same records but for those maps,
// and that every other recorder gets them.
func TestNodeVersionsLeftOutOnlyForARecorderThatSkipsThem(t *testing.T) {
	sc, _, err := scenarios.Open("ha-well-configured")
	if err != nil {
		t.Fatal(err)
	}
	full, skipping := &model.Memory{}, &skippingMemory{}
	if _, err := harness.Run(context.Background(), sc, NewProvider(), full, harness.Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := harness.Run(context.Background(), sc, NewProvider(), skipping, harness.Options{}); err != nil {
		t.Fatal(err)
	}
	if len(full.States) == 0 || len(full.States) != len(skipping.States) {
		t.Fatalf("%d and %d state samples, want the same number, more than 0", len(full.States), len(skipping.States))
	}
	versions := map[string]bool{}
	for i := range full.States {
		if len(full.States[i].NodesByVersion) == 0 {
			t.Fatalf("state sample %d has no NodesByVersion", i)
		}
		for v := range full.States[i].NodesByVersion {
			versions[v] = true
		}
		if skipping.States[i].NodesByVersion != nil {
			t.Fatalf("state sample %d: NodesByVersion %v for a recorder that skips it", i, skipping.States[i].NodesByVersion)
		}
		full.States[i].NodesByVersion = nil
	}
	if len(versions) < 2 {
		t.Errorf("the upgrade's state samples count nodes at %d version(s), want both", len(versions))
	}
	a, _ := json.Marshal([]any{full.Samples, full.Intervals, full.States})
	b, _ := json.Marshal([]any{skipping.Samples, skipping.Intervals, skipping.States})
	if !bytes.Equal(a, b) {
		t.Error("the records differ beyond NodesByVersion")
	}
}

// TestReleasedWorldRunsAsNew: a closed cluster's world and load go back to pools for the next
// cluster (world.World.Release, traffic.Load.Release). Runs of several scenarios, one with other
// timings, each made in what a run of another scenario left, record what they record in a world
// made new.
func TestReleasedWorldRunsAsNew(t *testing.T) {
	slower := func(sc *scenarios.Scenario) {
		cal := *sc.Spec.Calibration
		cal.ProxySyncMax.Duration *= 3
		cal.KubeletSync.Duration *= 2
		cal.EndpointSync.Duration += time.Second
		sc.Spec.Calibration = &cal
	}
	runs := []struct {
		name string
		edit func(*scenarios.Scenario)
	}{{"ha-well-configured", nil}, {"single-control-plane", nil}, {"pdb-blocks-drain", nil}, {"ha-well-configured", slower}, {"no-prestop-exit", nil}}
	fresh := make([][]byte, len(runs))
	for i, r := range runs {
		// Two collections empty the pools: this run's world and load are made new.
		runtime.GC()
		runtime.GC()
		fresh[i] = records(t, runScenario(t, r.name, 7, r.edit))
	}
	if bytes.Equal(fresh[0], fresh[3]) {
		t.Fatal("the timings changed nothing: the comparison says little")
	}
	for i := len(runs) - 1; i >= 0; i-- {
		if got := records(t, runScenario(t, runs[i].name, 7, runs[i].edit)); !bytes.Equal(got, fresh[i]) {
			t.Errorf("run %d (%s) in a released world recorded other records than in a new one", i, runs[i].name)
		}
	}
}

// TestCloseTwice: a second Close of a cluster, whose world went back to the pool at the first,
// does nothing.
func TestCloseTwice(t *testing.T) {
	sc, _, err := scenarios.Open("ha-well-configured")
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(sc, &model.Memory{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if err := c.Close(context.Background()); err != nil {
			t.Fatalf("Close %d: %v", i+1, err)
		}
	}
}
