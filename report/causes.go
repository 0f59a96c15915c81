package report

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/zdt-dev/zdt/model"
	"github.com/zdt-dev/zdt/report/measure"
	"github.com/zdt-dev/zdt/scenarios"
	"github.com/zdt-dev/zdt/scenarios/faults"
)

// A failed criterion's cause is found in two steps. Each failure window (a drop window, a
// stretch of API unavailability) is explained on its own by the first mechanism that can have
// failed its requests: a fault whose effect matches the errors the clients saw, a lost node, a
// pod that got traffic before it served, a pod that stopped serving while still in the
// endpoints, ... Windows of one target with the same explanation then make one diagnosis with
// their totals, so that a workload gets one cause and one fix per mechanism.

// diagnosis is the likely cause of a problem and what to change.
type diagnosis struct {
	cause, fix string
	weight     int64
}

// finding explains one failure window; findings with the same target and key merge.
type finding struct {
	target string
	key    string // the mechanism and its subject, e.g. "fault/crash-1" or "termination"
	// what is the explanation after the counts, e.g. "while injected fault f (NodeCrash) took
	// a node away"; subjects are appended to it (the pods and nodes involved, merged).
	what     string
	subjects []string
	note     string // said once after the subjects, e.g. "; web has no preStop hook"
	// fix renders the fix from the merged finding (need is the largest over its windows).
	fix func(f *finding) string
	// need is how long drops lasted after the event that caused them (termination).
	need    time.Duration
	dropped int64
	spans   []measure.Span
}

func constFix(s string) func(*finding) string { return func(*finding) string { return s } }

// merge adds another window's finding of the same target and key.
func (f *finding) merge(o *finding) {
	f.dropped += o.dropped
	f.spans = append(f.spans, o.spans...)
	f.need = max(f.need, o.need)
	for _, s := range o.subjects {
		if !slices.Contains(f.subjects, s) {
			f.subjects = append(f.subjects, s)
		}
	}
}

// render turns a merged finding into a diagnosis: "<target> <verb> in 3 windows (t+1m-t+1m2s,
// ...) <what> <subjects><note>", verb being e.g. "dropped 12 requests".
func (f *finding) render(verb string) diagnosis {
	var when []string
	for i, sp := range f.spans {
		if i == 3 {
			when = append(when, fmt.Sprintf("%d more", len(f.spans)-3))
			break
		}
		if At(sp.From) == At(sp.To) {
			when = append(when, At(sp.From))
		} else {
			when = append(when, At(sp.From)+"-"+At(sp.To))
		}
	}
	head := fmt.Sprintf("%s %s at %s", f.target, verb, when[0])
	if len(f.spans) > 1 {
		head = fmt.Sprintf("%s %s in %d windows (%s)", f.target, verb, len(f.spans), strings.Join(when, ", "))
	}
	cause := head
	if f.what != "" {
		cause += " " + f.what
	}
	if len(f.subjects) > 0 {
		subj := f.subjects
		if len(subj) > 4 {
			subj = append(slices.Clone(subj[:4]), fmt.Sprintf("%d more", len(f.subjects)-4))
		}
		cause += " " + strings.Join(subj, ", ")
	}
	return diagnosis{cause: cause + f.note, fix: f.fix(f), weight: f.dropped}
}

// mergeFindings merges findings by target and key, keeping the order of first appearance.
func mergeFindings(fs []*finding) []*finding {
	var out []*finding
	for _, f := range fs {
		if j := slices.IndexFunc(out, func(x *finding) bool { return x.target == f.target && x.key == f.key }); j >= 0 {
			out[j].merge(f)
			continue
		}
		out = append(out, f)
	}
	return out
}

// joinDiagnoses renders the three heaviest diagnoses, heaviest first.
func joinDiagnoses(ds []diagnosis) (string, string) {
	slices.SortStableFunc(ds, func(x, y diagnosis) int { return cmp.Compare(y.weight, x.weight) })
	if len(ds) > 3 {
		ds = ds[:3]
	}
	var causes, fixes []string
	for _, d := range ds {
		causes = append(causes, d.cause)
		if !slices.Contains(fixes, d.fix) {
			fixes = append(fixes, d.fix)
		}
	}
	return strings.Join(causes, "; "), strings.Join(fixes, "; ")
}

// diagnoseDrops explains the drop windows: one diagnosis per workload and mechanism.
func (e *evaluation) diagnoseDrops() (string, string) {
	var fs []*finding
	for i := range e.r.Requests.Windows {
		f := e.explainDrops(&e.r.Requests.Windows[i], e.m.Windows[i])
		f.target, f.dropped, f.spans = e.r.Requests.Windows[i].Target, e.r.Requests.Windows[i].Dropped, []measure.Span{e.m.Windows[i]}
		fs = append(fs, f)
	}
	var ds []diagnosis
	for _, f := range mergeFindings(fs) {
		ds = append(ds, f.render(fmt.Sprintf("dropped %d requests", f.dropped)))
	}
	return joinDiagnoses(ds)
}

// errorClass sorts what a client saw into how the request failed: "timeout" (no answer: the
// peer is gone or cut off, or too slow), otherwise "refused" (the peer answered with a refusal,
// a reset or an error status).
func errorClass(err string) string {
	e := strings.ToLower(err)
	if strings.Contains(e, "timeout") || strings.Contains(e, "timed out") || strings.Contains(e, "deadline exceeded") {
		return "timeout"
	}
	return "refused"
}

// hasClass reports whether any of the window's errors is of the class.
func hasClass(w *DropWindow, class string) bool {
	return slices.ContainsFunc(w.Errors, func(ec ErrorCount) bool { return errorClass(ec.Error) == class })
}

// explainDrops names the mechanism that most likely failed the requests of one drop window.
func (e *evaluation) explainDrops(w *DropWindow, fw measure.Span) *finding {
	timeouts := hasClass(w, "timeout")
	// 1. A fault whose mechanism fails this workload's requests the way they failed, or a lost
	// node (requests to it time out).
	for ivi := range e.m.Timeline {
		iv := &e.m.Timeline[ivi]
		if !measure.Relevant(iv, w.Target, fw.From, fw.To) {
			continue
		}
		switch iv.Reason {
		case model.ReasonFaultInjected:
			f := e.fault(iv.Locator.Fault)
			d, ok := faults.Lookup(f.Kind)
			if !ok || !faultFailsRequests(d, f, w.Target, timeouts) {
				continue
			}
			k := faultDropKey{iv.Locator.Fault, iv.Locator.Node, w.Target}
			fd, ok := e.faultDrops[k]
			if !ok {
				what := fmt.Sprintf("injected fault %s (%s%s)", cmp.Or(iv.Locator.Fault, "?"), f.Kind, onNode(iv.Locator.Node))
				fd = faultDrop{key: "fault/" + iv.Locator.Fault, what: fmt.Sprintf(d.Cause.Drops, what), fix: constFix(d.Cause.DropsFix)}
				if e.faultDrops == nil {
					e.faultDrops = map[faultDropKey]faultDrop{}
				}
				e.faultDrops[k] = fd
			}
			return &finding{key: fd.key, what: fd.what, fix: fd.fix}
		case model.ReasonNodeNotReady:
			if !timeouts {
				continue
			}
			return &finding{key: "node-lost", what: "while these nodes were NotReady:", subjects: []string{iv.Locator.Node},
				fix: constFix("requests routed to a lost node fail until its endpoints are removed: spread replicas across nodes and retry idempotent requests in clients")}
		case model.ReasonDrainTimeout:
			what := fmt.Sprintf("after nodeDrainTimeout expired and machines were deleted with %s pods still on them:", w.Target)
			note := ""
			if st, ok := e.r.PDBStalls.LongestStall(); ok {
				note = fmt.Sprintf(" (the drain was blocked by PDB %s)", st.PDB)
			}
			return &finding{key: "drain-timeout", what: what, subjects: []string{"node " + iv.Locator.Node}, note: note,
				fix: constFix(fmt.Sprintf("fix the PDB that blocked the drain so that it allows one disruption, and spread %s's pods across nodes (topologySpread) so that one machine never holds every replica", w.Target))}
		}
	}
	// 2. Too few replicas.
	wl := e.workload(w.Target)
	replicas := 0
	if wl != nil && wl.Replicas != nil {
		replicas = int(*wl.Replicas)
	}
	if w.MinReady >= 0 && w.MinReady <= 1 && (replicas <= 1 || w.MinReady == 0) {
		if replicas <= 1 {
			return &finding{key: "single-replica", what: "with a single ready replica",
				fix: constFix(fmt.Sprintf("run at least 2 replicas of %s with a PDB (maxUnavailable: 1) and spread them across nodes", w.Target))}
		}
		f := &finding{key: "no-ready-replica", what: "while no replica of " + w.Target + " was ready",
			fix: constFix(fmt.Sprintf("give %s a PDB (maxUnavailable: 1) so that drains keep replicas ready, and spread its pods across nodes", w.Target))}
		if wl != nil && wl.PDB != nil {
			f.fix = constFix(fmt.Sprintf("spread %s's pods across nodes (topologySpread) and check that its PDB selects them, so that no drain or node loss takes every replica", w.Target))
		}
		return f
	}
	// 3. Pods that got traffic before they served: Ready (and in the endpoints) while the
	// application still started.
	gap := e.readinessGap(w, fw, wl)
	if gap != nil && (wl == nil || wl.ReadinessProbe == nil) {
		return gap
	}
	// 4. Pods that stopped serving before their endpoints were gone everywhere, or that reset
	// their requests in flight when they exited (after their preStop sleep).
	lead := measure.AttributionLead
	if wl != nil && wl.PreStop != nil {
		lead += wl.PreStop.Sleep.Duration
	}
	for ivi := range e.m.Timeline {
		iv := &e.m.Timeline[ivi]
		if (iv.Reason != model.ReasonPodTerminating && iv.Reason != model.ReasonEndpointRemoved) || iv.Locator.Workload != w.Target {
			continue
		}
		if d := fw.From - iv.From; d < -time.Second || d > lead {
			continue
		}
		subject := "pod " + iv.Locator.Pod + onNode(iv.Locator.Node)
		if dr := e.drainOf(iv.Locator.Node, iv.From); dr != "" {
			subject += " (" + dr + ")"
		}
		target := w.Target
		return &finding{key: "termination", what: "right after these pods began terminating:", subjects: []string{subject},
			note: e.shutdownNote(wl), need: fw.To - iv.From,
			fix: func(f *finding) string {
				need := time.Duration(math.Ceil(f.need.Seconds()))*time.Second + time.Second
				return fmt.Sprintf("add a preStop sleep longer than the endpoint propagation delay to %s (drops lasted until %s after termination began: sleep at least %s) and keep serving in-flight requests after SIGTERM",
					target, offsetDelta(f.need), need)
			}}
	}
	if gap != nil {
		return gap
	}
	// 5. A drain without a better explanation.
	for ivi := range e.m.Timeline {
		iv := &e.m.Timeline[ivi]
		if iv.Reason == model.ReasonNodeDrain && iv.Overlaps(fw.From-measure.AttributionLead, fw.To) {
			return &finding{key: "drain", what: "during the drain of", subjects: []string{"node " + iv.Locator.Node},
				fix: constFix(fmt.Sprintf("check %s's readiness probe, preStop hook and graceful shutdown: its pods stopped serving while still receiving traffic", w.Target))}
		}
	}
	return &finding{key: "unexplained", what: "with no cluster event overlapping",
		fix: constFix("look at the timeline in report.html and at the load generator (client timeouts, network) around that time")}
}

// faultFailsRequests reports whether a fault's mechanism can fail requests to target the way
// they failed: pod kills hit their own workload; lost or slowed nodes make requests time out. A
// fault that only slows the rollout or disturbs the API never fails a workload's requests by
// itself.
func faultFailsRequests(d *faults.Descriptor, f *faults.Fault, target string, timeouts bool) bool {
	switch {
	case d.Effects.Has(faults.EffectPodTraffic) && f.Target.Workload == target:
		return true
	case d.Effects.Has(faults.EffectNodeTraffic) || d.Effects.Has(faults.EffectLatency):
		return timeouts
	}
	return false
}

// readinessGap finds pods of the window's workload that became Ready (entered the endpoints)
// shortly before or during it, while refusals were seen: traffic reached them before they
// served.
func (e *evaluation) readinessGap(w *DropWindow, fw measure.Span, wl *scenarios.Workload) *finding {
	if !hasClass(w, "refused") {
		return nil
	}
	// A pod that became Ready at iv.To may refuse connections until its application serves:
	// for the workload's startup time without a probe, a moment with one that passes early.
	gap := measure.AttributionLead
	if wl != nil && wl.ReadinessProbe == nil && wl.StartupTime != nil {
		gap = max(gap, wl.StartupTime.Duration+time.Second)
	}
	var pods []string
	for ivi := range e.m.Timeline {
		iv := &e.m.Timeline[ivi]
		if iv.Reason != model.ReasonPodNotReady || iv.Locator.Workload != w.Target || iv.To <= 0 {
			continue
		}
		if iv.To-time.Second <= fw.To && fw.From <= iv.To+gap {
			pods = append(pods, "pod "+iv.Locator.Pod+onNode(iv.Locator.Node))
		}
	}
	if len(pods) == 0 {
		return nil
	}
	if wl == nil || wl.ReadinessProbe == nil {
		startup := ""
		if wl != nil && wl.StartupTime != nil && wl.StartupTime.Duration > 0 {
			startup = fmt.Sprintf(" while the application still started (startupTime %s)", wl.StartupTime.Duration)
		}
		return &finding{key: "readiness-gap", what: "from pods that got traffic before they served: " + w.Target + " has no readiness probe, so these were Ready as soon as their container ran" + startup + ":",
			subjects: pods,
			fix:      constFix(fmt.Sprintf("give %s a readiness probe that succeeds only once the application serves (an HTTP GET on a path that answers when it is ready), so that new pods get traffic only when they can answer", w.Target))}
	}
	return &finding{key: "readiness-gap", what: "from pods that got traffic before they served: " + w.Target + "'s readiness probe passed before the application answered on these:",
		subjects: pods,
		fix:      constFix(fmt.Sprintf("make %s's readiness probe check what the clients use (the same port and path), so that it passes only once the application serves", w.Target))}
}

// shutdownNote says what in the workload's shutdown may explain drops at termination.
func (e *evaluation) shutdownNote(wl *scenarios.Workload) string {
	if wl == nil {
		return ""
	}
	var notes []string
	if wl.PreStop == nil {
		notes = append(notes, wl.Name+" has no preStop hook")
	} else {
		notes = append(notes, fmt.Sprintf("%s's preStop sleep is %s", wl.Name, wl.PreStop.Sleep.Duration))
	}
	if wl.Shutdown != nil {
		switch wl.Shutdown.OnSigterm {
		case scenarios.ShutdownExit:
			notes = append(notes, "it exits at once on SIGTERM")
		case scenarios.ShutdownGraceful, "":
			if wl.PreStop == nil {
				notes = append(notes, "it stops accepting connections at SIGTERM")
			}
		}
	}
	return "; " + strings.Join(notes, " and ")
}

// fault returns the scenario's fault of that name (an empty one of unknown kind if none).
func (e *evaluation) fault(name string) *faults.Fault {
	for i := range e.sc.Spec.Faults {
		if e.sc.Spec.Faults[i].Name == name {
			return &e.sc.Spec.Faults[i]
		}
	}
	return &faults.Fault{Name: name, Kind: "unknown kind"}
}

func (e *evaluation) faultKind(name string) faults.Kind { return e.fault(name).Kind }

// diagnoseAPI explains the stretches of API unavailability by what showed each one: the
// provider's APIUnavailable message (etcd quorum lost, no healthy apiserver) and the faults that
// hit the control plane.
func (e *evaluation) diagnoseAPI() (string, string) {
	var fs []*finding
	for i, w := range e.m.APIWindows {
		f := e.explainAPI(w, e.r.API.Windows[i].Seen)
		f.target, f.spans, f.dropped = "the Kubernetes API", []measure.Span{w}, int64(w.To-w.From)
		fs = append(fs, f)
	}
	var ds []diagnosis
	for _, f := range mergeFindings(fs) {
		var total time.Duration
		for _, sp := range f.spans {
			total += sp.To - sp.From
		}
		ds = append(ds, f.render("was unavailable for "+total.Round(time.Millisecond).String()))
	}
	return joinDiagnoses(ds)
}

// explainAPI names the mechanism of one stretch of API unavailability.
func (e *evaluation) explainAPI(w measure.Span, seen []string) *finding {
	cpReplicas := 0
	if r := e.sc.Spec.Cluster.ControlPlane.Replicas; r != nil {
		cpReplicas = int(*r)
	}
	redundancy := "make the API load balancer health-check each apiserver (/readyz) and stop sending to one before it is removed"
	if cpReplicas > 0 && cpReplicas < 3 {
		redundancy = "run 3 control plane replicas behind the API load balancer, so that one can be replaced or restarted while the others serve"
	}
	note := ""
	if cpReplicas > 0 && cpReplicas < 3 {
		note = fmt.Sprintf("; the control plane has %d replica(s)", cpReplicas)
	}
	quorum := slices.ContainsFunc(seen, func(s string) bool { return strings.Contains(s, "quorum") || strings.Contains(s, "no leader") })
	for ivi := range e.m.Timeline {
		iv := &e.m.Timeline[ivi]
		if iv.Reason != model.ReasonFaultInjected || !iv.Overlaps(w.From-measure.AttributionLead, w.To) {
			continue
		}
		f := e.fault(iv.Locator.Fault)
		if d, ok := faults.Lookup(f.Kind); ok && d.Effects.Has(faults.EffectAPI) && e.hitsControlPlane(f, iv.Locator.Node) {
			return &finding{key: "fault/" + f.Name, what: fmt.Sprintf("during injected fault %s (%s%s)", f.Name, f.Kind, onNode(iv.Locator.Node)), note: note,
				fix: constFix("with 3 or more control plane replicas and an API load balancer that health-checks /readyz, one apiserver going down is not seen by clients")}
		}
	}
	// A machine of the control plane's rollout: quorum lost when a member joins, an apiserver
	// gone when a machine goes.
	want := model.ReasonMachineDeleted
	if quorum {
		want = model.ReasonMachineCreated
	}
	for _, reason := range []model.Reason{want, model.ReasonMachineCreated, model.ReasonMachineDeleted} {
		for ivi := range e.m.Timeline {
			iv := &e.m.Timeline[ivi]
			if iv.Reason != reason || !isControlPlane(iv.Locator) || !iv.Overlaps(w.From-measure.AttributionLead, w.To) {
				continue
			}
			if reason == model.ReasonMachineCreated {
				what := "while control plane machine " + iv.Locator.Machine + " was added"
				if quorum {
					what += fmt.Sprintf(": its etcd member joined before its etcd ran, and etcd lost quorum (%s)", strings.Join(seen, "; "))
				}
				return &finding{key: "cp-added", what: what, note: note, fix: constFix(redundancy)}
			}
			return &finding{key: "cp-removed", what: "while control plane machine " + iv.Locator.Machine + " was removed", note: note, fix: constFix(redundancy)}
		}
	}
	what := ""
	if len(seen) > 0 {
		what = "(" + strings.Join(seen, "; ") + ")"
	}
	return &finding{key: "unexplained", what: what, note: note, fix: constFix(redundancy)}
}

// hitsControlPlane reports whether a fault hit control plane nodes: its target says so, or the
// node it hit has no worker pool.
func (e *evaluation) hitsControlPlane(f *faults.Fault, node string) bool {
	switch sel := f.Node(); {
	case sel == faults.NodeControlPlane:
		return true
	case sel == "" || sel == faults.NodeDraining || strings.HasPrefix(sel, faults.NodePoolPrefix):
		return false
	}
	// A node named: a control plane node is in no worker pool.
	if node == "" {
		node = f.Target.Node
	}
	for ivi := range e.m.Timeline {
		iv := &e.m.Timeline[ivi]
		if iv.Locator.Node == node && iv.Locator.Pool != "" {
			return false
		}
	}
	return true
}
