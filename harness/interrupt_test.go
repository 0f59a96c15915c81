package harness_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zdt-dev/zdt/harness"
	"github.com/zdt-dev/zdt/harness/sim"
	"github.com/zdt-dev/zdt/model"
	"github.com/zdt-dev/zdt/report"
	"github.com/zdt-dev/zdt/scenarios"
)

// stopAt is a provider whose clusters are stopped, as by a Ctrl-C, once their clock reaches
// at: ctx (from Context) reports itself cancelled from then on, the same on every run.
type stopAt struct {
	harness.Provider
	at time.Duration
	cl harness.Cluster
}

func (p *stopAt) Create(ctx context.Context, in harness.CreateInput) (harness.Cluster, error) {
	cl, err := p.Provider.Create(ctx, in)
	p.cl = cl
	return cl, err
}

// Context returns the context to run with.
func (p *stopAt) Context() context.Context { return stopCtx{context.Background(), p} }

type stopCtx struct {
	context.Context
	p *stopAt
}

func (c stopCtx) Err() error {
	if c.p.cl != nil && c.p.cl.Now() >= c.p.at {
		return context.Canceled
	}
	return nil
}

// TestInterruptedRunShowsWhereItWas stops ha-well-configured in each phase and checks that the
// run shows the phase in progress, what it waited for, and what was under way, cut short.
func TestInterruptedRunShowsWhereItWas(t *testing.T) {
	sc, _, err := scenarios.Open("ha-well-configured")
	if err != nil {
		t.Fatal(err)
	}
	// The instants to stop at come from the whole run, so that they follow the calibration: a
	// few seconds into the control plane's first new machine, just after the drain of the pool's
	// first old machine, and into the postflight.
	whole := &model.Memory{}
	full, err := harness.Run(context.Background(), sc, sim.NewProvider(), whole, harness.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var cpAt, poolAt, postAt time.Duration
	for _, iv := range whole.Intervals {
		switch {
		case iv.Reason == model.ReasonMachineCreated && iv.Locator.Node == "ha-well-configured-control-plane-4":
			cpAt = iv.From + 10*time.Second
		case iv.Reason == model.ReasonNodeDrain && iv.Locator.Node == "ha-well-configured-md-0-1":
			poolAt = iv.To + time.Second // drained, its machine being deleted
		}
	}
	for _, ph := range full.Phases {
		if ph.Name == model.PhasePostflight {
			postAt = ph.From + 5*time.Second
		}
	}
	if cpAt == 0 || poolAt == 0 || postAt == 0 {
		t.Fatalf("the whole run lacks the instants to stop at: control plane %s, pool %s, postflight %s", cpAt, poolAt, postAt)
	}
	tests := []struct {
		at       time.Duration
		phase    model.PhaseName
		waiting  string
		cutShort []model.Reason
		deadline report.Outcome
	}{
		{15 * time.Second, model.PhaseWarmup, "the load's warm-up (30s) before preflight", nil, report.OutcomeSkipped},
		{cpAt, model.PhaseControlPlane, "control plane: 0 machine(s) Ready at v1.36.3, 3 old; machine ha-well-configured-control-plane-4 joining, not yet Ready",
			[]model.Reason{model.ReasonPhase, model.ReasonUpgradeStep, model.ReasonMachineCreated}, report.OutcomeInconclusive},
		{poolAt, model.PoolPhase("md-0"), "pool md-0: 1 machine(s) Ready at v1.36.3, 2 old; machine ha-well-configured-md-0-1 being deleted",
			[]model.Reason{model.ReasonPhase, model.ReasonUpgradeStep, model.ReasonMachineDeleted}, report.OutcomeInconclusive},
		{postAt, model.PhasePostflight, "the cool-down: load still running after the last pool", []model.Reason{model.ReasonPhase}, report.OutcomePass},
	}
	for _, tt := range tests {
		t.Run(string(tt.phase), func(t *testing.T) {
			p := &stopAt{Provider: sim.NewProvider(), at: tt.at}
			rec := &model.Memory{}
			info, err := harness.Run(p.Context(), sc, p, rec, harness.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if !info.Aborted || info.Current != nil {
				t.Fatalf("aborted %v, current %+v: want an aborted run with no phase left open", info.Aborted, info.Current)
			}
			last := info.Phases[len(info.Phases)-1]
			if last.Name != tt.phase || last.Outcome != model.PhaseInterrupted || last.To != info.End {
				t.Fatalf("last phase %s %s ending %s, want %s interrupted ending where the run stopped (%s)", last.Name, last.Outcome, last.To, tt.phase, info.End)
			}
			// The stop lands within a few seconds of the instant asked for.
			if info.End < tt.at || info.End > tt.at+5*time.Second {
				t.Errorf("the run stopped at %s, asked at %s", info.End, tt.at)
			}
			if !strings.Contains(last.Message, tt.waiting) {
				t.Errorf("phase message %q, want it to say %q", last.Message, tt.waiting)
			}
			cut := map[model.Reason]bool{}
			for _, iv := range rec.Intervals {
				if iv.CutShort {
					cut[iv.Reason] = true
					if iv.To != info.End {
						t.Errorf("cut-short interval %s %q ends at %s, not where the run stopped (%s)", iv.Reason, iv.Message, iv.To, info.End)
					}
				}
			}
			for _, reason := range tt.cutShort {
				if !cut[reason] {
					t.Errorf("no %s interval cut short; cut short: %v", reason, cut)
				}
			}
			r := report.Evaluate(sc, info, rec.Samples, rec.Intervals, rec.States)
			if r.Verdict != report.Inconclusive {
				t.Errorf("verdict %s, want INCONCLUSIVE", r.Verdict)
			}
			if c := criterion(r, "upgrade-deadline"); c == nil || c.Outcome != tt.deadline {
				t.Errorf("upgrade-deadline %s (%s), want %s", c.Outcome, c.Detail, tt.deadline)
			}
		})
	}
}

// TestKilledRunShowsItsCurrentPhase reads a run directory as a SIGKILL leaves it: run.json still
// running, with the phase in progress as current. The report shows that phase, interrupted, up
// to the last record on disk.
func TestKilledRunShowsItsCurrentPhase(t *testing.T) {
	sc, _, err := scenarios.Open("ha-well-configured")
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	if _, err := harness.Execute(context.Background(), harness.Input{Scenario: sc, Provider: sim.NewProvider(), Out: out, Version: "test"}); err != nil {
		t.Fatal(err)
	}
	info, err := model.ReadRunInfo(out)
	if err != nil {
		t.Fatal(err)
	}
	// The last checkpoint before the kill: the pool's phase had begun.
	i := len(info.Phases) - 2
	if info.Phases[i].Name != model.PoolPhase("md-0") {
		t.Fatalf("phase %d is %s", i, info.Phases[i].Name)
	}
	cur := info.Phases[i]
	cur.To, cur.Outcome, cur.Message = 0, "", ""
	info.Phases, info.Current, info.State = info.Phases[:i], &cur, model.RunRunning
	if err := model.WriteRunInfo(out, info); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(out, model.ReportJSON)); err != nil {
		t.Fatal(err)
	}
	r, err := report.FromDir(out)
	if err != nil {
		t.Fatal(err)
	}
	last := r.Phases[len(r.Phases)-1]
	if last.Name != cur.Name || last.Outcome != string(model.PhaseInterrupted) || !strings.Contains(last.Message, "killed after at least") {
		t.Fatalf("last phase %+v, want %s interrupted, killed", last, cur.Name)
	}
	if last.ToSeconds <= last.FromSeconds {
		t.Errorf("the killed phase ends at %vs, not after it began (%vs)", last.ToSeconds, last.FromSeconds)
	}
	if r.Verdict == report.Pass {
		t.Error("a killed run PASSed")
	}
}

// slowCreate is a provider whose cluster never comes up before the run is stopped.
type slowCreate struct{ harness.Provider }

func (p slowCreate) Create(ctx context.Context, in harness.CreateInput) (harness.Cluster, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

// TestInterruptDuringBringUpIsAnAbortedRun: Ctrl-C while the cluster is created is an aborted
// run with its bring-up interrupted, not a harness error.
func TestInterruptDuringBringUpIsAnAbortedRun(t *testing.T) {
	sc, _, err := scenarios.Open("ha-well-configured")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rec := &model.Memory{}
	info, err := harness.Run(ctx, sc, slowCreate{sim.NewProvider()}, rec, harness.Options{})
	if err != nil {
		t.Fatalf("Run = %v, want no harness error", err)
	}
	if !info.Aborted || len(info.Phases) != 1 || info.Phases[0].Name != model.PhaseBringUp || info.Phases[0].Outcome != model.PhaseInterrupted {
		t.Fatalf("aborted %v, phases %+v: want an aborted run with bring-up interrupted", info.Aborted, info.Phases)
	}
	if len(rec.Intervals) != 1 || !rec.Intervals[0].CutShort {
		t.Errorf("timeline %+v: want the bring-up, cut short", rec.Intervals)
	}
	if r := report.Evaluate(sc, info, rec.Samples, rec.Intervals, rec.States); r.Verdict != report.Inconclusive {
		t.Errorf("verdict %s, want INCONCLUSIVE", r.Verdict)
	}
}
