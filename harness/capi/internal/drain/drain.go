// Package drain reads the drain progress messages Cluster API writes on a Machine.
package drain

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The messages Cluster API writes on a Machine while it drains its Node (the v1beta2 Deleting
// condition, reason DrainingNode, and the v1beta1 DrainingSucceeded condition). Their format is
// EvictionResult.ConditionMessage in sigs.k8s.io/cluster-api core/reconcilers/machine/drain
// (v1.10 and later), for example:
//
//	Drain not completed yet (started at 2024-10-09T16:13:59Z):
//	* Pods zdt/web-1, zdt/web-2: deletionTimestamp set, but still not removed from the Node
//	* Pod zdt/api-1: cannot evict pod as it would violate the pod's disruption budget. The disruption budget api needs 3 healthy pods and has 3 currently
//	* Pod zdt/db-0: failed to evict Pod, some other error
//	* 2 Pods with other issues
//	After above Pods have been removed from the Node, the following Pods will be evicted: zdt/late-1
//
// Cluster API v1.8 and v1.9 grouped failed evictions under one heading instead:
//
//	Drain not completed yet (started at 2024-10-09T16:13:59Z):
//	* Pods with eviction failed:
//	  * Cannot evict pod as it would violate the pod's disruption budget. The disruption budget api needs 3 healthy pods and has 3 currently: api-1, api-2, ... (1 more)
//
// zdt reads both.
const (
	drainNotCompleted = "Drain not completed yet"
	pdbViolation      = "cannot evict pod as it would violate the pod's disruption budget"
	failedToEvict     = "failed to evict Pod, "
	stillTerminating  = "deletionTimestamp set, but still not removed from the Node"
	oldFailedHeading  = "Pods with eviction failed:"
	oldTerminating    = "Pods with deletionTimestamp that still exist: "
)

var (
	// The eviction API's cause for a refusal by a budget (k8s.io/kubernetes pkg/registry/core/pod/storage/eviction.go).
	pdbNameRE   = regexp.MustCompile(`The disruption budget (\S+) (?:needs|is still being processed)`)
	startedRE   = regexp.MustCompile(`\(started at ([^)]+)\)`)
	morePodsRE  = regexp.MustCompile(`^\.\.\. \((\d+) more\)$`)
	otherPodsRE = regexp.MustCompile(`^(\d+) Pods? with other issues$`)
	otherErrsRE = regexp.MustCompile(`applying to (\d+) Pods?\)`)
)

// Refusal is one pod a drain could not evict, as Cluster API reports it.
type Refusal struct {
	// Namespace and Pod name the pod.
	Namespace string
	Pod       string
	// PDB names the budget that refused the eviction (a PDB stall); empty when the eviction
	// failed for another reason.
	PDB string
	// Reason is the refusal as Cluster API wrote it.
	Reason string
}

// Report is what a drain condition message says.
type Report struct {
	// Started is the drain's start time, zero when the message does not carry it.
	Started time.Time
	// Refused lists the pods whose eviction was refused, in message order.
	Refused []Refusal
	// Terminating lists the pods evicted but not yet gone ("namespace/name").
	Terminating []string
	// Unlisted counts pods the message summarised ("... (2 more)", "3 Pods with other issues")
	// without naming them.
	Unlisted int
}

// Parse reads the drain progress message of a Machine condition. A message that is
// not a drain report gives an empty report.
func Parse(msg string) Report {
	var r Report
	if !strings.Contains(msg, drainNotCompleted) && !strings.Contains(msg, oldFailedHeading) {
		return r
	}
	if m := startedRE.FindStringSubmatch(msg); m != nil {
		if t, err := time.Parse(time.RFC3339, m[1]); err == nil {
			r.Started = t
		}
	}
	inOldFailed := false
	for _, line := range strings.Split(msg, "\n") {
		switch {
		case strings.HasPrefix(line, "  * ") && inOldFailed:
			// v1.8/v1.9: "  * <reason>: pod, pod, ... (n more)", the reason first.
			body := strings.TrimPrefix(line, "  * ")
			i := strings.LastIndex(body, ": ")
			if i < 0 {
				if m := otherErrorsCount(body); m > 0 {
					r.Unlisted += m
				}
				continue
			}
			r.addRefusals(body[i+2:], body[:i])
		case strings.HasPrefix(line, "* "):
			inOldFailed = false
			body := strings.TrimPrefix(line, "* ")
			if body == oldFailedHeading {
				inOldFailed = true
				continue
			}
			if m := otherPodsRE.FindStringSubmatch(body); m != nil {
				n, _ := strconv.Atoi(m[1])
				r.Unlisted += n
				continue
			}
			if pods, ok := strings.CutPrefix(body, oldTerminating); ok {
				r.Terminating = append(r.Terminating, r.podList(pods)...)
				continue
			}
			// v1.10+: "Pod(s) <list>: <what>".
			rest, ok := strings.CutPrefix(body, "Pods ")
			if !ok {
				rest, ok = strings.CutPrefix(body, "Pod ")
			}
			if !ok {
				continue
			}
			i := strings.Index(rest, ": ")
			if i < 0 {
				continue
			}
			pods, what := rest[:i], rest[i+2:]
			switch {
			case what == stillTerminating:
				r.Terminating = append(r.Terminating, r.podList(pods)...)
			case what == "waiting for completion":
			default:
				r.addRefusals(pods, what)
			}
		default:
			inOldFailed = false
		}
	}
	return r
}

// otherErrorsCount reads "... (1 more error applying to 3 Pods)".
func otherErrorsCount(s string) int {
	m := otherErrsRE.FindStringSubmatch(s)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

func (r *Report) addRefusals(pods, reason string) {
	reason = strings.TrimPrefix(reason, failedToEvict)
	pdb := ""
	if strings.HasPrefix(strings.ToLower(reason), pdbViolation) {
		if m := pdbNameRE.FindStringSubmatch(reason); m != nil {
			pdb = m[1]
		} else {
			// The budget's name is missing only from very old API servers' answers; the
			// refusal is still a PDB stall.
			pdb = "unknown"
		}
	}
	for _, p := range r.podList(pods) {
		ns, name, ok := strings.Cut(p, "/")
		if !ok {
			ns, name = "", p
		}
		if name == "" {
			continue // not a pod reference ("ns/" or "/"): nothing to name
		}
		r.Refused = append(r.Refused, Refusal{Namespace: ns, Pod: name, PDB: pdb, Reason: reason})
	}
}

// podList splits "ns/a, ns/b, ... (2 more)", counting the pods left out.
func (r *Report) podList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ", ") {
		p = strings.TrimSpace(p)
		if m := morePodsRE.FindStringSubmatch(p); m != nil {
			n, _ := strconv.Atoi(m[1])
			r.Unlisted += n
			continue
		}
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}
