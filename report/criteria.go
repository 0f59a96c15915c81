package report

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/zdt-dev/zdt/model"
	"github.com/zdt-dev/zdt/report/measure"
	"github.com/zdt-dev/zdt/scenarios"
	"github.com/zdt-dev/zdt/scenarios/faults"
)

// criteria judges the run against the scenario's criteria, in a fixed order.
func (e *evaluation) criteria() []Criterion {
	// A failed preflight stops the run before any node is touched: the upgrade's criteria do
	// not apply then.
	stoppedEarly := model.Failed(e.info.Preflight)
	// Room for every criterion: the fixed ones, a PDB floor per workload and one per fault.
	cs := make([]Criterion, 0, 16+len(e.sc.Spec.Workloads)+len(e.sc.Spec.Faults))
	cs = append(cs, e.preflight())
	first := len(cs) // the upgrade's criteria
	cs = append(cs, e.droppedRequests(), e.apiDowntime(), e.pdbStall(), e.readyPercent(), e.availabilityFloor())
	cs = append(cs, e.pdbFloors()...)
	cs = append(cs, e.upgradeDeadline(), e.postflight())
	if stoppedEarly {
		for i := first; i < len(cs); i++ {
			cs[i] = skip(cs[i], "the run stopped after the failed preflight")
		}
	}
	cs = append(cs, e.faultsApplied()...)
	cs = append(cs, e.runCompleted(), e.measurement(), e.loadCoverage())
	if e.integrity != nil {
		cs = append(cs, e.dataIntegrity())
	}
	for i := range cs {
		cs[i].Passed = cs[i].Outcome == OutcomePass
	}
	return cs
}

func skip(c Criterion, why string) Criterion {
	c.Outcome, c.Detail, c.Cause, c.Fix = OutcomeSkipped, why, "", ""
	return c
}

func outcome(ok bool) Outcome {
	if ok {
		return OutcomePass
	}
	return OutcomeFail
}

func (e *evaluation) criteriaSpec() scenarios.Criteria { return e.sc.Spec.Criteria }

func (e *evaluation) preflight() Criterion {
	return e.checkCriterion("preflight", "every preflight check passes (warnings allowed)", e.info.Preflight, false)
}

func (e *evaluation) postflight() Criterion {
	c := e.checkCriterion("postflight", "every postflight check passes: nodes upgraded and Ready, system pods and add-ons healthy, workloads available",
		e.info.Postflight, e.info.Aborted || e.info.Error != "")
	return c
}

// checkCriterion turns a list of checks into one criterion. stopped says the run ended before
// the checks could run.
func (e *evaluation) checkCriterion(name, desc string, results []model.CheckResult, stopped bool) Criterion {
	c := Criterion{Name: name, Description: desc, Unit: "failed checks"}
	if len(results) == 0 {
		if stopped {
			return skip(c, "the run stopped before the "+name+" checks ran")
		}
		c.Outcome = OutcomeInconclusive
		c.Detail = "no " + name + " check was recorded"
		return c
	}
	var failed, warned []string
	var fixes []string
	for _, r := range results {
		switch r.Status {
		case model.CheckFail:
			failed = append(failed, fmt.Sprintf("%s (%s)", r.Name, r.Message))
			if r.Fix != "" {
				fixes = append(fixes, r.Fix)
			}
		case model.CheckWarn:
			warned = append(warned, r.Name)
		}
	}
	c.Observed = float64(len(failed))
	c.Outcome = outcome(len(failed) == 0)
	if !e.judged {
		c.Detail = fmt.Sprintf("%d checks: %d failed, %d warned", len(results), len(failed), len(warned))
		if len(warned) > 0 {
			c.Detail += " (" + countedNames(warned) + ")"
		}
	}
	if len(failed) > 0 {
		c.Cause = "failed: " + strings.Join(failed, "; ")
		c.Fix = strings.Join(fixes, "; ")
	}
	return c
}

// countedNames lists names in order of first appearance, with a count for repeated ones:
// "workload-preconditions x6, removed-apis".
func countedNames(names []string) string {
	var order []string
	n := map[string]int{}
	for _, s := range names {
		if n[s] == 0 {
			order = append(order, s)
		}
		n[s]++
	}
	for i, s := range order {
		if n[s] > 1 {
			order[i] = fmt.Sprintf("%s x%d", s, n[s])
		}
	}
	return strings.Join(order, ", ")
}

func (e *evaluation) droppedRequests() Criterion {
	limit := *e.criteriaSpec().MaxDroppedRequests
	rq := e.r.Requests
	c := Criterion{Name: "dropped-requests", Description: "requests to the workloads that failed (error, timeout or 5xx)",
		Observed: float64(rq.Dropped), Limit: float64(limit), Unit: "requests"}
	if rq.Total == 0 {
		if e.info.Aborted || e.info.Error != "" {
			return skip(c, "the run stopped before any request to a workload was recorded")
		}
		c.Outcome = OutcomeInconclusive
		c.Detail = "no request to a workload was recorded"
		return c
	}
	c.Outcome = outcome(rq.Dropped <= limit)
	if !e.judged {
		c.Detail = fmt.Sprintf("%d of %d requests dropped (%s) in %d window(s)", rq.Dropped, rq.Total, Percent(rq.DropRate), len(rq.Windows))
		if rq.Dropped > 0 {
			var parts []string
			for _, cc := range rq.ByConn {
				parts = append(parts, fmt.Sprintf("%s connections %d", cc.Conn, cc.Dropped))
			}
			c.Detail += "; " + strings.Join(parts, ", ")
		}
	}
	if c.Outcome == OutcomeFail {
		c.Cause, c.Fix = e.diagnoseDrops()
	}
	return c
}

func (e *evaluation) workload(name string) *scenarios.Workload {
	for i := range e.sc.Spec.Workloads {
		if e.sc.Spec.Workloads[i].Name == name {
			return &e.sc.Spec.Workloads[i]
		}
	}
	return nil
}

// drainOf names the drain of node at time t, if one was running.
func (e *evaluation) drainOf(node string, t time.Duration) string {
	if node == "" {
		return ""
	}
	for ivi := range e.m.Timeline {
		iv := &e.m.Timeline[ivi]
		if iv.Reason == model.ReasonNodeDrain && iv.Locator.Node == node && iv.Overlaps(t, t) {
			return "drain of node " + node
		}
	}
	return ""
}

func onNode(node string) string {
	if node == "" {
		return ""
	}
	return " on node " + node
}

func (e *evaluation) apiDowntime() Criterion {
	limit := e.criteriaSpec().MaxAPIDowntime.Duration
	a := e.r.API
	c := Criterion{Name: "api-downtime", Description: "time the Kubernetes API was unavailable (failed API probes and APIUnavailable intervals)",
		Observed: a.Seconds, Limit: measure.Secs(limit), Unit: "seconds"}
	c.Outcome = outcome(a.Seconds <= measure.Secs(limit))
	if !e.judged {
		c.Detail = fmt.Sprintf("%d of %d API probes failed; %d window(s) of unavailability", a.FailedProbes, a.Probes, len(a.Windows))
		if a.Probes == 0 {
			c.Detail = fmt.Sprintf("no API probe recorded: measured from the timeline's APIUnavailable intervals only; %d window(s)", len(a.Windows))
		}
	}
	if c.Outcome == OutcomeFail {
		c.Cause, c.Fix = e.diagnoseAPI()
	}
	return c
}

// isControlPlane reports whether a locator names the control plane: its phase, or a machine
// outside every worker pool (providers set Pool on workers' machines; Cluster API's topology
// names control plane machines without "control-plane" in them).
func isControlPlane(l model.Locator) bool {
	return l.Phase == model.PhaseControlPlane || (l.Machine != "" && l.Pool == "") || strings.Contains(l.Machine, "control-plane")
}

func (e *evaluation) pdbStall() Criterion {
	limit := e.criteriaSpec().MaxPDBStall.Duration
	s := e.r.PDBStalls
	c := Criterion{Name: "pdb-stall", Description: "longest time a drain was blocked by a PodDisruptionBudget",
		Observed: s.LongestSeconds, Limit: measure.Secs(limit), Unit: "seconds"}
	c.Outcome = outcome(s.LongestSeconds <= measure.Secs(limit))
	if !e.judged {
		c.Detail = fmt.Sprintf("%d stall(s), %s in total", s.Count, Dur(s.TotalSeconds))
	}
	if st, ok := s.LongestStall(); ok {
		if !e.judged {
			c.Detail += fmt.Sprintf("; longest %s: PDB %s, pod %s on node %s", Dur(st.Seconds), st.PDB, st.Pod, st.Node)
		}
		if c.Outcome == OutcomeFail {
			c.Cause = fmt.Sprintf("the drain of node %s was blocked for %s by PDB %s, which allowed no disruption of pod %s", st.Node, Dur(st.Seconds), st.PDB, st.Pod)
			if note := e.pdbNote(st.PDB); note != "" {
				c.Cause += " (" + note + ")"
			}
			c.Fix = fmt.Sprintf("allow at least one disruption in PDB %s (maxUnavailable: 1, or minAvailable below the replica count) and run enough replicas to spare one", st.PDB)
		}
	}
	return c
}

// pdbNote describes a PDB of the scenario by name, when its setting explains a stall.
func (e *evaluation) pdbNote(name string) string {
	for _, w := range e.sc.Spec.Workloads {
		if w.PDB == nil || w.PDB.Name != name || w.Replicas == nil {
			continue
		}
		switch {
		case w.PDB.MinAvailable != nil:
			return fmt.Sprintf("minAvailable %s with %d replicas of %s", w.PDB.MinAvailable.String(), *w.Replicas, w.Name)
		case w.PDB.MaxUnavailable != nil:
			return fmt.Sprintf("maxUnavailable %s with %d replicas of %s", w.PDB.MaxUnavailable.String(), *w.Replicas, w.Name)
		}
	}
	return ""
}

func (e *evaluation) readyPercent() Criterion {
	limit := *e.criteriaSpec().MinReadyPercent
	c := Criterion{Name: "ready-replicas", Description: "lowest ready replicas of any workload, in percent of its desired replicas",
		Limit: float64(limit), Unit: "percent"}
	ws := e.r.Capacity.Workloads
	if len(ws) == 0 {
		c.Outcome = OutcomeInconclusive
		c.Detail = "no state sample recorded"
		if limit == 0 {
			c.Outcome = OutcomePass
			c.Detail += "; no limit set"
		}
		return c
	}
	low := ws[0]
	for _, w := range ws[1:] {
		if w.MinReadyPercent < low.MinReadyPercent {
			low = w
		}
	}
	c.Observed = low.MinReadyPercent
	c.Outcome = outcome(low.MinReadyPercent >= float64(limit))
	if !e.judged {
		c.Detail = fmt.Sprintf("%s fell to %d of %d ready at %s", low.Workload, low.MinReady, low.Desired, At(measure.Duration(low.MinReadyAtSeconds)))
	}
	if c.Outcome == OutcomeFail {
		d := e.diagnoseCapacity(low.Workload, measure.Duration(low.MinReadyAtSeconds), low.MinReady, low.Desired, fmt.Sprintf("%d%% of desired", limit))
		c.Cause, c.Fix = d.cause, d.fix
	}
	return c
}

// availabilityFloor checks that every workload kept at least criteria.minReadyReplicas ready
// replicas (all of them when it wants fewer): a workload with no PDB, or a PDB that protects
// nothing, fails it when a drain takes its last replica.
func (e *evaluation) availabilityFloor() Criterion {
	floor := int(*e.criteriaSpec().MinReadyReplicas)
	c := Criterion{Name: "availability-floor", Description: fmt.Sprintf("every workload keeps at least %d ready replica(s) (criteria.minReadyReplicas), or all it wants if fewer", floor),
		Limit: float64(floor), Unit: "replicas"}
	if floor == 0 {
		return skip(c, "criteria.minReadyReplicas is 0")
	}
	ws := e.r.Capacity.Workloads
	if len(ws) == 0 {
		c.Outcome, c.Detail = OutcomeInconclusive, "no state sample recorded"
		return c
	}
	var worst *WorkloadCapacity
	short := func(w *WorkloadCapacity) int { return min(floor, w.Desired) - w.MinReady }
	for i := range ws {
		if worst == nil || short(&ws[i]) > short(worst) || short(&ws[i]) == short(worst) && ws[i].MinReady < worst.MinReady {
			worst = &ws[i]
		}
	}
	c.Observed = float64(worst.MinReady)
	c.Outcome = outcome(short(worst) <= 0)
	if !e.judged {
		c.Detail = fmt.Sprintf("lowest: %s with %d of %d ready at %s", worst.Workload, worst.MinReady, worst.Desired, At(measure.Duration(worst.MinReadyAtSeconds)))
	}
	if c.Outcome == OutcomeFail {
		d := e.diagnoseCapacity(worst.Workload, measure.Duration(worst.MinReadyAtSeconds), worst.MinReady, worst.Desired, fmt.Sprintf("the availability floor %d", min(floor, worst.Desired)))
		c.Cause, c.Fix = d.cause, d.fix
	}
	return c
}

// pdbFloors is one criterion per workload with a PDB: its ready replicas never fall below the
// floor the PDB sets.
func (e *evaluation) pdbFloors() []Criterion {
	var out []Criterion
	names := slices.Sorted(maps.Keys(e.m.Floors))
	if len(e.m.States) == 0 {
		// Without state samples, the scenario says which workloads have a PDB.
		for _, w := range e.sc.Spec.Workloads {
			if w.PDB != nil {
				out = append(out, Criterion{Name: "pdb-floor/" + w.Name, Description: "ready replicas of " + w.Name + " stay at or above its PDB floor",
					Unit: "replicas", Outcome: OutcomeInconclusive, Detail: "no state sample recorded"})
			}
		}
		slices.SortFunc(out, func(x, y Criterion) int { return strings.Compare(x.Name, y.Name) })
		return out
	}
	for _, n := range names {
		f := e.m.Floors[n]
		c := Criterion{Name: "pdb-floor/" + n, Description: "ready replicas of " + n + " stay at or above its PDB floor",
			Observed: float64(f.Ready), Limit: float64(f.Floor), Unit: "replicas", Outcome: outcome(f.Ready >= f.Floor)}
		if !e.judged {
			c.Detail = fmt.Sprintf("lowest %d ready of %d (PDB floor %d) at %s", f.Ready, f.Desired, f.Floor, At(f.At))
		}
		if c.Outcome == OutcomeFail {
			d := e.diagnoseCapacity(n, f.At, f.Ready, f.Desired, fmt.Sprintf("its PDB floor %d", f.Floor))
			c.Cause, c.Fix = d.cause, d.fix
		}
		out = append(out, c)
	}
	return out
}

// diagnoseCapacity explains why workload fell to ready replicas at t.
func (e *evaluation) diagnoseCapacity(workload string, t time.Duration, ready, desired int, below string) diagnosis {
	at := fmt.Sprintf("%s fell to %d of %d ready at %s, below %s", workload, ready, desired, At(t), below)
	// The state sample shows the result of what happened since the previous one.
	from := t - measure.AttributionLead
	for i := range e.m.States {
		if e.m.States[i].At == t && i > 0 {
			from = min(from, e.m.States[i-1].At)
		}
	}
	for ivi := range e.m.Timeline {
		iv := &e.m.Timeline[ivi]
		if !iv.Overlaps(from, t) {
			continue
		}
		switch iv.Reason {
		case model.ReasonNodeNotReady, model.ReasonFaultInjected:
			what := "node " + iv.Locator.Node + " was NotReady"
			if iv.Reason == model.ReasonFaultInjected {
				// Only a fault that takes replicas away explains fewer ready replicas.
				if d, ok := faults.Lookup(e.faultKind(iv.Locator.Fault)); !ok || !d.Effects.Has(faults.EffectReadyReplicas) {
					continue
				}
				what = fmt.Sprintf("injected fault %s (%s%s) was active", iv.Locator.Fault, e.faultKind(iv.Locator.Fault), onNode(iv.Locator.Node))
			}
			cause := at + " while " + what
			if wl := e.workload(workload); wl != nil && wl.TopologySpread == nil {
				cause += fmt.Sprintf("; %s has no topology spread constraint, so its replicas could share that node", workload)
			}
			return diagnosis{cause: cause,
				fix: fmt.Sprintf("PDBs do not guard against node failures: run enough replicas of %s, spread across nodes (topologySpreadConstraints on kubernetes.io/hostname), that losing one node keeps the floor", workload)}
		case model.ReasonDrainTimeout:
			return diagnosis{cause: fmt.Sprintf("%s: nodeDrainTimeout expired on node %s and the machine was deleted with pods still on it", at, iv.Locator.Node),
				fix: "raise nodeDrainTimeout above the longest PDB stall, or fix the PDB that blocks the drain, so that machines are not deleted with pods on them"}
		}
	}
	wl := e.workload(workload)
	if wl != nil && wl.PDB == nil {
		return diagnosis{cause: at + "; it has no PodDisruptionBudget", fix: fmt.Sprintf("give %s a PDB (maxUnavailable: 1) so that drains keep replicas ready", workload)}
	}
	for ivi := range e.m.Timeline {
		iv := &e.m.Timeline[ivi]
		if iv.Reason == model.ReasonNodeDrain && iv.Overlaps(from, t) {
			return diagnosis{cause: fmt.Sprintf("%s during the drain of node %s", at, iv.Locator.Node),
				fix: fmt.Sprintf("make sure %s's PDB selects its pods and counts only ready ones (unhealthyPodEvictionPolicy: IfHealthyBudget), and that its readiness probe reflects real readiness so that replacements are ready before the next eviction", workload)}
		}
	}
	return diagnosis{cause: at, fix: "look at the timeline in report.html around that time"}
}

func (e *evaluation) upgradeDeadline() Criterion {
	limit := e.criteriaSpec().UpgradeDeadline.Duration
	c := Criterion{Name: "upgrade-deadline", Description: "duration of the whole upgrade, every step included; no phase timed out",
		Observed: e.r.UpgradeSeconds, Limit: measure.Secs(limit), Unit: "seconds"}
	var upgradePhases int
	var timedOut []model.Phase
	var longest model.Phase
	var cut *model.Phase
	for i, p := range e.info.Phases {
		if !measure.IsUpgradePhase(p) {
			continue
		}
		upgradePhases++
		if p.Outcome == model.PhaseTimedOut || p.Outcome == model.PhaseFailed {
			timedOut = append(timedOut, p)
		}
		if p.Outcome == model.PhaseInterrupted {
			cut = &e.info.Phases[i]
		}
		if p.To-p.From > longest.To-longest.From {
			longest = p
		}
	}
	if upgradePhases == 0 {
		if e.info.Aborted || e.info.Error != "" {
			return skip(c, "the run stopped before the upgrade began")
		}
		c.Outcome = OutcomeInconclusive
		c.Detail = "no upgrade phase was recorded"
		return c
	}
	// An upgrade stopped half way is judged on the time it actually spent: over the deadline it
	// failed, within it nothing says it would have made it.
	if cut != nil && len(timedOut) == 0 && e.r.UpgradeSeconds <= measure.Secs(limit) {
		c.Outcome = OutcomeInconclusive
		if !e.judged {
			c.Detail = fmt.Sprintf("the run stopped %s into the upgrade, in phase %s (%s), before it finished: %s",
				Dur(e.r.UpgradeSeconds), cut.Name, (cut.To - cut.From).Round(time.Millisecond), cut.Message)
		}
		return c
	}
	c.Outcome = outcome(e.r.UpgradeSeconds <= measure.Secs(limit) && len(timedOut) == 0)
	if !e.judged {
		c.Detail = fmt.Sprintf("%d phase(s) in %s; longest %s (%s)", upgradePhases, Dur(e.r.UpgradeSeconds), longest.Name, (longest.To - longest.From).Round(time.Millisecond))
	}
	if c.Outcome == OutcomePass {
		return c
	}
	p := longest
	if len(timedOut) > 0 {
		p = timedOut[0]
		c.Cause = fmt.Sprintf("phase %s timed out after %s", p.Name, (p.To - p.From).Round(time.Millisecond))
		if p.Outcome == model.PhaseFailed {
			c.Cause = fmt.Sprintf("phase %s failed after %s", p.Name, (p.To - p.From).Round(time.Millisecond))
		}
		if p.Message != "" {
			c.Cause += ": " + p.Message
		}
	} else {
		c.Cause = fmt.Sprintf("the upgrade took %s, over the deadline of %s; the longest phase was %s (%s)", Dur(e.r.UpgradeSeconds), limit, p.Name, (p.To - p.From).Round(time.Millisecond))
	}
	// PDB stalls inside the phase are the usual reason. Stalls of several pods at once count
	// once: the time during which at least one eviction was refused.
	var stalls []measure.Span
	var pdbs []string
	for ivi := range e.m.Timeline {
		iv := &e.m.Timeline[ivi]
		if iv.Reason == model.ReasonEvictionBlocked && iv.Overlaps(p.From, p.To) {
			stalls = append(stalls, measure.Span{From: max(iv.From, p.From), To: min(iv.To, p.To)})
			if !slices.Contains(pdbs, iv.Locator.PDB) {
				pdbs = append(pdbs, iv.Locator.PDB)
			}
		}
	}
	var stalled time.Duration
	for _, sp := range measure.UnionSpans(stalls) {
		stalled += sp.To - sp.From
	}
	if stalled > 0 {
		c.Cause += fmt.Sprintf("; drains were blocked for %s of it by PDB %s", stalled.Round(time.Millisecond), strings.Join(pdbs, ", "))
		c.Fix = fmt.Sprintf("allow at least one disruption in PDB %s so that drains can proceed", strings.Join(pdbs, ", "))
	} else if strings.Contains(p.Message, "; blocked: ") {
		c.Fix = "remove what blocks the rollout (named above), or raise upgradeDeadline if the cluster is simply large"
	} else {
		c.Fix = "look at the phase's machines in the timeline (provisioning, node Ready, drains) or raise upgradeDeadline if the cluster is simply large"
	}
	return c
}

func (e *evaluation) runCompleted() Criterion {
	c := Criterion{Name: "run-completed", Description: "the run ran to its end without a harness error or interruption", Unit: "interruptions"}
	switch {
	case e.info.Error != "":
		c.Observed, c.Outcome = 1, OutcomeInconclusive
		c.Detail = "harness error: " + e.info.Error
	case e.info.Aborted:
		c.Observed, c.Outcome = 1, OutcomeInconclusive
		c.Detail = "the run was aborted"
		if e.info.AbortReason != "" {
			c.Detail += ": " + e.info.AbortReason
		}
	default:
		c.Outcome = OutcomePass
		c.Detail = "the run completed"
	}
	return c
}

func (e *evaluation) measurement() Criterion {
	m := e.r.Measurement
	c := Criterion{Name: "measurement", Description: "the load generator kept up with its plan (at most 1% short, no sample lost, at most 1s late)",
		Limit: measure.MaxShortfallPercent, Unit: "percent"}
	for _, s := range e.info.Streams {
		c.Observed = max(c.Observed, measure.Round(measure.Shortfall(s), 3))
	}
	if m.Reliable {
		c.Outcome = OutcomePass
		if !e.judged {
			c.Detail = fmt.Sprintf("%d stream(s) kept up", len(m.Streams))
		}
		return c
	}
	c.Outcome = OutcomeInconclusive
	c.Detail = strings.Join(m.Problems, "; ")
	c.Fix = "give the load generator more CPU or lower load.rate, and rerun"
	if slices.ContainsFunc(m.Problems, func(p string) bool { return strings.Contains(p, "read back") }) {
		c.Fix = "the samples on disk are not what the run recorded (see data-integrity): rerun into an empty --out and leave the run directory's files as zdt wrote them"
	}
	return c
}

// loadCoverage checks that the load was dense enough, all the way from preflight to postflight,
// to see the shortest disruption the scenario claims to detect: a gap between two requests of a
// stream longer than criteria.resolution could hide one. Too little load is inconclusive, never
// a pass.
func (e *evaluation) loadCoverage() Criterion {
	cv := e.r.Coverage
	res := cv.ResolutionSeconds
	c := Criterion{Name: "load-coverage", Description: "every load stream sent requests closer together than criteria.resolution from preflight to postflight",
		Limit: res, Unit: "seconds"}
	if len(cv.Streams) == 0 {
		if e.info.Aborted || e.info.Error != "" {
			return skip(c, "the run stopped before any load was recorded")
		}
		c.Outcome, c.Detail = OutcomeInconclusive, "no request to a workload was recorded: a disruption of any length could go unseen"
		return c
	}
	worst := cv.Streams[0]
	for _, s := range cv.Streams[1:] {
		if s.LargestGapSeconds > worst.LargestGapSeconds {
			worst = s
		}
	}
	c.Observed = worst.LargestGapSeconds
	seen := Dur(max(worst.LargestGapSeconds, 0.1*res))
	if worst.LargestGapSeconds == 0 {
		seen = Dur(0.1 * res)
	}
	if !e.judged {
		c.Detail = fmt.Sprintf("largest gap between two requests from %s to %s: %s (stream %s/%s at %s); a disruption shorter than %s could go unseen",
			At(measure.Duration(cv.FromSeconds)), At(measure.Duration(cv.ToSeconds)), seen, worst.Target, worst.Conn, At(measure.Duration(worst.GapFromSeconds)), seen)
	}
	if worst.LargestGapSeconds < res {
		c.Outcome = OutcomePass
		return c
	}
	c.Outcome = OutcomeInconclusive
	c.Cause = fmt.Sprintf("stream %s/%s sent no request for %s from %s: the run cannot see a disruption shorter than that, and the scenario claims %s",
		worst.Target, worst.Conn, Dur(worst.LargestGapSeconds), At(measure.Duration(worst.GapFromSeconds)), Dur(res))
	c.Fix = "send load through the whole upgrade (load.duration: whole-upgrade, a pacer whose rate stays up) at a rate above 2/resolution per stream, or state a coarser criteria.resolution"
	return c
}

// dataIntegrity checks that the run directory's files hold what the run wrote (run.json's
// manifest): a file cut short, changed or left by another run makes the verdict unfounded.
func (e *evaluation) dataIntegrity() Criterion {
	c := Criterion{Name: "data-integrity", Description: "the run directory's files hold exactly what the run wrote (run.json's manifest: records, bytes, SHA-256)",
		Unit: "bad files"}
	problems := *e.integrity
	c.Observed = float64(len(problems))
	if len(problems) == 0 {
		c.Outcome, c.Detail = OutcomePass, fmt.Sprintf("%d file(s) as the run wrote them", len(e.info.Files))
		return c
	}
	c.Outcome = OutcomeInconclusive
	c.Detail = fmt.Sprintf("%d problem(s)", len(problems))
	c.Cause = strings.Join(problems, "; ")
	c.Fix = "rerun into an empty --out (or with --force); do not edit a run directory's files: the report can only judge what the run wrote"
	return c
}
