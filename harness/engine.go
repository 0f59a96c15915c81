package harness

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/zdt-dev/zdt/harness/preflight"
	"github.com/zdt-dev/zdt/model"
	"github.com/zdt-dev/zdt/scenarios"
)

// Options tune a run.
type Options struct {
	// Version is zdt's version, written into run.json.
	Version string
	// Start is the instant offsets count from (default: the provider's Clock.Start).
	Start time.Time
	// Progress, when set, receives one line per step of the run.
	Progress func(format string, args ...any)
	// PreflightOnly stops after the preflight checks.
	PreflightOnly bool
	// Brief says that the run is only judged for its verdict (zdt sweep): the preflight and
	// postflight checks may leave a passing check's message out (preflight.Input.Brief).
	Brief bool
}

// Cooldown is how long load keeps running after the last pool, before postflight.
const Cooldown = 30 * time.Second

// SettleTimeout bounds the wait, after the cooldown, for every workload to be back to its
// desired Ready replicas before the postflight checks judge it.
const SettleTimeout = 5 * time.Minute

// Run runs a scenario on a provider: create the cluster, start the load, preflight, upgrade each
// step of the plan (control plane, then every pool), postflight, stop the load. Everything
// measured goes to rec; the returned RunInfo says how the run went. A cancelled ctx stops the run
// where it is and marks it aborted, keeping what was measured. The error is a harness error
// (the run could not be carried out); a failed upgrade is not an error.
func Run(ctx context.Context, sc *scenarios.Scenario, p Provider, rec model.Recorder, opts Options) (*model.RunInfo, error) {
	progress, quiet := opts.Progress, opts.Progress == nil
	if quiet {
		progress = func(string, ...any) {}
	}
	plan, err := Plan(sc.Spec.Versions)
	if err != nil {
		return nil, err
	}
	pi := p.Info()
	if err := CheckSupport(sc, pi); err != nil {
		return nil, err
	}
	if opts.Start.IsZero() {
		opts.Start = pi.Clock.Start()
	}
	info := &model.RunInfo{
		Scenario: sc.Metadata.Name,
		Provider: pi.Name,
		Seed:     *sc.Spec.Seed,
		Start:    opts.Start,
		Plan:     plan,
		Version:  opts.Version,
	}
	if err := checkpoint(rec, info); err != nil {
		return info, err
	}
	if !quiet {
		progress("creating the %s cluster (%s, %d control plane, %d pools)", pi.Name, plan[0],
			*sc.Spec.Cluster.ControlPlane.Replicas, len(sc.Spec.Cluster.WorkerPools))
	}
	// When the run is stopped during bring-up, the provider may take a while to give up (kind's
	// create takes no context): the bring-up ends when the stop came.
	var stoppedAt atomic.Pointer[time.Time]
	defer context.AfterFunc(ctx, func() { now := time.Now(); stoppedAt.Store(&now) })()
	cl, err := p.Create(ctx, CreateInput{Scenario: sc, Recorder: rec, Start: opts.Start})
	if err != nil {
		if ctx.Err() == nil {
			return info, fmt.Errorf("create cluster: %w", err)
		}
		// Interrupted while the cluster came up: the provider removed what it had made; the run
		// is aborted, not broken, and shows where it was.
		var end time.Duration
		if !pi.Clock.Virtual {
			end = time.Since(opts.Start)
			if t := stoppedAt.Load(); t != nil {
				end = t.Sub(opts.Start)
			}
		}
		info.End = end
		info.Aborted = true
		info.AbortReason = "interrupted: " + context.Cause(ctx).Error()
		info.Phases = append(info.Phases, model.Phase{Name: model.PhaseBringUp, To: end, Outcome: model.PhaseInterrupted,
			Message: fmt.Sprintf("interrupted after %s: creating the %s cluster (%s)", end.Round(time.Millisecond), pi.Name, err)})
		progress("%-22s %-9s %8s  %s", model.PhaseBringUp, model.PhaseInterrupted, end.Round(time.Second), "the cluster was being created")
		return info, errors.Join(rec.Interval(&model.Interval{Level: model.Error, Locator: model.Locator{Phase: model.PhaseBringUp}, Reason: model.ReasonPhase,
			Message: info.Phases[0].Message, From: 0, To: end, CutShort: true}), checkpoint(rec, info))
	}
	e := &engine{sc: sc, cl: cl, rec: rec, info: info, progress: progress, quiet: quiet, stepStart: -1, upgradeStart: -1, brief: opts.Brief}
	runErr := e.run(ctx, plan, opts.PreflightOnly)
	// A run that stops abnormally (interrupted, a harness error) still shows where it was.
	switch {
	case ctx.Err() != nil:
		runErr = errors.Join(e.interrupted("interrupted"))
	case runErr != nil:
		runErr = errors.Join(runErr, e.interrupted("stopped by a harness error"))
	}
	info.End = cl.Now()
	if ctx.Err() != nil {
		info.Aborted = true
		info.AbortReason = "interrupted: " + context.Cause(ctx).Error()
	}
	// Stopping and closing must happen even when ctx is cancelled.
	cleanup := context.WithoutCancel(ctx)
	if !e.loadStopped {
		stats, err := cl.StopLoad(cleanup)
		info.Streams = stats
		runErr = errors.Join(runErr, err)
	}
	if ec, ok := cl.(EgressCounter); ok {
		info.Egress = ec.Egress(cleanup)
	}
	runErr = errors.Join(runErr, cl.Close(cleanup))
	if runErr != nil {
		info.Error = runErr.Error()
	}
	return info, runErr
}

type engine struct {
	sc          *scenarios.Scenario
	cl          Cluster
	rec         model.Recorder
	info        *model.RunInfo
	progress    func(string, ...any)
	quiet       bool // no Progress was given
	iv          model.Interval
	loadStopped bool
	brief       bool // Options.Brief
	// current is the phase in progress, waiting what it last waited for (from the provider);
	// stepStart and upgradeStart the open step and upgrade (-1 when none).
	current                 *model.Phase
	waiting                 string
	stepStart, upgradeStart time.Duration
	step                    string
}

// begin records that a phase starts, in run.json too, so that a run stopped in it shows it.
func (e *engine) begin(name model.PhaseName, step string) error {
	e.current = &model.Phase{Name: name, Step: step, From: e.cl.Now()}
	e.waiting = ""
	e.info.Current = e.current
	return checkpoint(e.rec, e.info)
}

// interrupted ends the phase in progress, the step and the upgrade where the run stopped,
// marked as cut short, with what the phase was waiting for.
func (e *engine) interrupted(why string) error {
	now := e.cl.Now()
	var errs []error
	if ph := e.current; ph != nil {
		msg := fmt.Sprintf("%s after %s", why, (now - ph.From).Round(time.Millisecond))
		if e.waiting != "" {
			msg += ": " + e.waiting
		}
		errs = append(errs, e.phase(ph.Name, ph.Step, ph.From, model.PhaseInterrupted, msg))
	}
	if e.stepStart >= 0 {
		errs = append(errs, e.rec.Interval(&model.Interval{Level: model.Error, Locator: model.Locator{Phase: model.PhaseUpgrade}, Reason: model.ReasonUpgradeStep,
			Message: fmt.Sprintf("upgrade step %s (%s)", e.step, why), From: e.stepStart, To: now, CutShort: true}))
	}
	if e.upgradeStart >= 0 {
		errs = append(errs, e.rec.Interval(&model.Interval{Level: model.Error, Locator: model.Locator{Phase: model.PhaseUpgrade}, Reason: model.ReasonPhase,
			Message: "upgrade (" + why + ")", From: e.upgradeStart, To: now, CutShort: true}))
	}
	e.stepStart, e.upgradeStart = -1, -1
	return errors.Join(errs...)
}

// noteWaiting keeps what an interrupted wait was waiting for, as the provider said it.
func (e *engine) noteWaiting(err error) {
	var w *WaitError
	if errors.As(err, &w) {
		e.waiting = w.Waiting
	}
}

// phase records one phase in run.json and the timeline.
func (e *engine) phase(name model.PhaseName, step string, from time.Duration, outcome model.PhaseOutcome, msg string) error {
	ph := model.Phase{Name: name, Step: step, From: from, To: e.cl.Now(), Outcome: outcome, Message: msg}
	if e.info.Phases == nil {
		// Room for every phase of the plan: bring-up, warm-up, preflight, the control plane
		// and each pool at each step, postflight.
		e.info.Phases = make([]model.Phase, 0, 4+(1+len(e.sc.Spec.Cluster.WorkerPools))*len(e.info.Plan))
	}
	e.info.Phases = append(e.info.Phases, ph)
	e.current, e.info.Current = nil, nil
	level := model.Info
	if outcome != model.PhaseSucceeded {
		level = model.Error
	}
	if msg == "" {
		msg = string(outcome)
	}
	if !e.quiet { // a sweep's runs format no progress line
		e.progress("%-22s %-9s %8s  %s", name, outcome, (ph.To - ph.From).Round(time.Second), msg)
	}
	// The recorder copies what it keeps (model.Recorder): one interval serves every phase.
	e.iv = model.Interval{
		Level: level, Locator: model.Locator{Phase: name}, Reason: model.ReasonPhase,
		Message: string(name) + " " + msg, From: ph.From, To: ph.To, CutShort: outcome == model.PhaseInterrupted,
	}
	err := e.rec.Interval(&e.iv)
	return errors.Join(err, checkpoint(e.rec, e.info))
}

// checkpoint hands the run as it stands to a recorder that keeps a run directory, so that
// run.json and the streams on disk are current at every phase change.
func checkpoint(rec model.Recorder, info *model.RunInfo) error {
	if c, ok := rec.(interface{ Checkpoint(*model.RunInfo) error }); ok {
		return c.Checkpoint(info)
	}
	return nil
}

func (e *engine) run(ctx context.Context, plan []string, preflightOnly bool) error {
	// Load first, so that the whole upgrade is measured from a warm steady state.
	if err := e.cl.StartLoad(ctx); err != nil {
		return fmt.Errorf("start load: %w", err)
	}
	warmup := e.cl.Now()
	if err := e.begin(model.PhaseWarmup, ""); err != nil {
		return err
	}
	e.waiting = fmt.Sprintf("the load's warm-up (%s) before preflight", e.sc.Spec.Load.Warmup.Duration)
	if err := e.cl.Pass(ctx, e.sc.Spec.Load.Warmup.Duration); err != nil {
		return err
	}
	if err := e.phase(model.PhaseWarmup, "", warmup, model.PhaseSucceeded, "load running"); err != nil {
		return err
	}
	// Preflight: any failed check stops the run before a node is touched.
	before, ok, err := e.preflight(ctx, plan)
	if err != nil || !ok || preflightOnly {
		return err
	}
	// The rolling upgrade, one minor at a time.
	deadline := e.cl.Now() + e.sc.Spec.Criteria.UpgradeDeadline.Duration
	upgradeStart := e.cl.Now()
	e.upgradeStart = upgradeStart
	if err := e.cl.StartPhase(ctx, model.PhaseUpgrade); err != nil {
		return err
	}
	target := plan[0]
	for _, step := range plan[1:] {
		done, err := e.upgradeStep(ctx, step, deadline)
		if err != nil || !done {
			return err
		}
		target = step
	}
	e.upgradeStart = -1
	if err := e.rec.Interval(&model.Interval{
		Level: model.Info, Locator: model.Locator{Phase: model.PhaseUpgrade}, Reason: model.ReasonPhase,
		Message: "upgrade " + plan[0] + " -> " + target, From: upgradeStart, To: e.cl.Now(),
	}); err != nil {
		return err
	}
	// Postflight: compare the upgraded cluster with the baseline.
	return e.postflight(ctx, before, target)
}

// preflight runs the checks on the cluster as it is, after taking the etcd snapshot that is the
// recovery anchor. It reports whether the upgrade may go on.
func (e *engine) preflight(ctx context.Context, plan []string) (*model.Inventory, bool, error) {
	start := e.cl.Now()
	if err := e.begin(model.PhasePreflight, ""); err != nil {
		return nil, false, err
	}
	if err := e.cl.StartPhase(ctx, model.PhasePreflight); err != nil {
		return nil, false, err
	}
	e.waiting = "the cluster's inventory and etcd snapshot"
	before, err := e.cl.Inventory(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("preflight inventory: %w", err)
	}
	snap, err := e.cl.SnapshotEtcd(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("etcd snapshot: %w", err)
	}
	before.EtcdSnapshot = snap
	e.info.Preflight = preflight.Run(&preflight.Input{Inventory: before, Scenario: e.sc, Plan: plan, Brief: e.brief})
	if model.Failed(e.info.Preflight) {
		return before, false, e.phase(model.PhasePreflight, "", start, model.PhaseFailed, "a check failed: no node was touched")
	}
	return before, true, e.phase(model.PhasePreflight, "", start, model.PhaseSucceeded, "")
}

// upgradeStep upgrades the cluster to one version: one change of the topology version, then
// the control plane and every worker pool in order, each a phase with the shared deadline. It
// reports whether every phase reached the version.
func (e *engine) upgradeStep(ctx context.Context, step string, deadline time.Duration) (bool, error) {
	stepStart := e.cl.Now()
	e.stepStart, e.step = stepStart, step
	if err := e.cl.SetVersion(ctx, step); err != nil {
		return false, fmt.Errorf("set version %s: %w", step, err)
	}
	type phase struct {
		name model.PhaseName
		m    Milestone
	}
	phases := []phase{{model.PhaseControlPlane, Milestone{Version: step}}}
	for _, p := range e.sc.Spec.Cluster.WorkerPools {
		phases = append(phases, phase{model.PoolPhase(p.Name), Milestone{Pool: p.Name, Version: step}})
	}
	for i, ph := range phases {
		from := e.cl.Now()
		if err := e.begin(ph.name, step); err != nil {
			return false, err
		}
		if i == 1 {
			// Faults timed to "workers" start with the first pool.
			if err := e.cl.StartPhase(ctx, model.PhaseWorkers); err != nil {
				return false, err
			}
		}
		if err := e.cl.StartPhase(ctx, ph.name); err != nil {
			return false, err
		}
		err := e.cl.Await(ctx, ph.m, deadline-e.cl.Now())
		switch {
		case errors.Is(err, ErrDeadline):
			msg := fmt.Sprintf("not at %s when the upgrade deadline (%s) passed", step, e.sc.Spec.Criteria.UpgradeDeadline.Duration)
			if detail := strings.TrimPrefix(strings.TrimPrefix(err.Error(), ErrDeadline.Error()), ": "); detail != "" {
				msg += ": " + detail
			}
			return false, e.phase(ph.name, step, from, model.PhaseTimedOut, msg)
		case errors.Is(err, ErrUpgradeFailed):
			msg := strings.TrimPrefix(strings.TrimPrefix(err.Error(), ErrUpgradeFailed.Error()), ": ")
			return false, e.phase(ph.name, step, from, model.PhaseFailed, msg)
		case err != nil:
			e.noteWaiting(err)
			return false, err
		}
		if err := e.phase(ph.name, step, from, model.PhaseSucceeded, "at "+step); err != nil {
			return false, err
		}
	}
	e.stepStart = -1
	return true, e.rec.Interval(&model.Interval{
		Level: model.Info, Locator: model.Locator{Phase: model.PhaseUpgrade}, Reason: model.ReasonUpgradeStep,
		Message: fmt.Sprintf("upgrade step %s", step), From: stepStart, To: e.cl.Now(),
	})
}

// postflight lets the load run a little longer, gives the workloads time to be whole again,
// then runs the postflight checks against the preflight baseline. All of it is the postflight
// phase, so that a run stopped in the cool-down shows where it was.
func (e *engine) postflight(ctx context.Context, before *model.Inventory, target string) error {
	start := e.cl.Now()
	if err := e.begin(model.PhasePostflight, ""); err != nil {
		return err
	}
	if err := e.cl.StartPhase(ctx, model.PhasePostflight); err != nil {
		return err
	}
	e.waiting = "the cool-down: load still running after the last pool"
	if err := e.cl.Pass(ctx, Cooldown); err != nil {
		return err
	}
	e.waiting = ""
	if err := e.cl.Await(ctx, Milestone{WorkloadsReady: true}, SettleTimeout); err != nil && !errors.Is(err, ErrDeadline) {
		e.noteWaiting(err)
		return err
	}
	after, err := e.cl.Inventory(ctx)
	if err != nil {
		return fmt.Errorf("postflight inventory: %w", err)
	}
	e.info.Postflight = preflight.RunPostflight(&preflight.PostInput{Before: before, After: after, Scenario: e.sc, Target: target, Brief: e.brief})
	outcome, msg := model.PhaseSucceeded, ""
	if model.Failed(e.info.Postflight) {
		outcome, msg = model.PhaseFailed, "a check failed"
	}
	return e.phase(model.PhasePostflight, "", start, outcome, msg)
}
