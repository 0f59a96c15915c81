package drain

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseDrainMessage(t *testing.T) {
	started := time.Date(2024, 10, 9, 16, 13, 59, 0, time.UTC)
	tests := []struct {
		name string
		msg  string
		want Report
	}{
		{
			// The format of Cluster API v1.10+ (core/reconcilers/machine/drain ConditionMessage),
			// as its own tests write it, with namespaces as klog.KObj prints them.
			name: "v1.10+ message",
			msg: `Drain not completed yet (started at 2024-10-09T16:13:59Z):
* Pods zdt/pod-2-deletionTimestamp-set-1, zdt/pod-3-to-trigger-eviction-successfully-1: deletionTimestamp set, but still not removed from the Node
* Pod zdt/pod-5-to-trigger-eviction-pdb-violated-1: cannot evict pod as it would violate the pod's disruption budget. The disruption budget pod-5-pdb needs 20 healthy pods and has 20 currently
* Pod zdt/pod-6-to-trigger-eviction-some-other-error: failed to evict Pod, some other error 1
* Pod zdt/pod-9-wait-completed: waiting for completion
After above Pods have been removed from the Node, the following Pods will be evicted: zdt/pod-7-eviction-later, zdt/pod-8-eviction-later`,
			want: Report{
				Started:     started,
				Terminating: []string{"zdt/pod-2-deletionTimestamp-set-1", "zdt/pod-3-to-trigger-eviction-successfully-1"},
				Refused: []Refusal{
					{Namespace: "zdt", Pod: "pod-5-to-trigger-eviction-pdb-violated-1", PDB: "pod-5-pdb",
						Reason: "cannot evict pod as it would violate the pod's disruption budget. The disruption budget pod-5-pdb needs 20 healthy pods and has 20 currently"},
					{Namespace: "zdt", Pod: "pod-6-to-trigger-eviction-some-other-error", Reason: "some other error 1"},
				},
			},
		},
		{
			name: "v1.10+ several pods, truncated, and other issues",
			msg: `Drain not completed yet (started at 2024-10-09T16:13:59Z):
* Pods zdt/web-1, zdt/web-2, zdt/web-3, ... (2 more): cannot evict pod as it would violate the pod's disruption budget. The disruption budget web needs 5 healthy pods and has 5 currently
* 3 Pods with other issues`,
			want: Report{
				Started: started,
				Refused: []Refusal{
					{Namespace: "zdt", Pod: "web-1", PDB: "web", Reason: "cannot evict pod as it would violate the pod's disruption budget. The disruption budget web needs 5 healthy pods and has 5 currently"},
					{Namespace: "zdt", Pod: "web-2", PDB: "web", Reason: "cannot evict pod as it would violate the pod's disruption budget. The disruption budget web needs 5 healthy pods and has 5 currently"},
					{Namespace: "zdt", Pod: "web-3", PDB: "web", Reason: "cannot evict pod as it would violate the pod's disruption budget. The disruption budget web needs 5 healthy pods and has 5 currently"},
				},
				Unlisted: 5,
			},
		},
		{
			name: "budget still being processed",
			msg: `Drain not completed yet (started at 2024-10-09T16:13:59Z):
* Pod zdt/api-0: cannot evict pod as it would violate the pod's disruption budget. The disruption budget api is still being processed by the server.`,
			want: Report{
				Started: started,
				Refused: []Refusal{{Namespace: "zdt", Pod: "api-0", PDB: "api",
					Reason: "cannot evict pod as it would violate the pod's disruption budget. The disruption budget api is still being processed by the server."}},
			},
		},
		{
			// Cluster API v1.8 and v1.9 grouped failures under one heading, reason first.
			name: "v1.8 message",
			msg: `Drain not completed yet (started at 2024-10-09T16:13:59Z):
* Pods with deletionTimestamp that still exist: pod-2-deletionTimestamp-set-1, pod-3-to-trigger-eviction-successfully-1, ... (2 more)
* Pods with eviction failed:
  * Cannot evict pod as it would violate the pod's disruption budget. The disruption budget pod-5-pdb needs 20 healthy pods and has 20 currently: pod-5-to-trigger-eviction-pdb-violated-1, ... (3 more)
  * some other error 1: pod-6-to-trigger-eviction-some-other-error
  * ... (1 more error applying to 1 Pod)`,
			want: Report{
				Started:     started,
				Terminating: []string{"pod-2-deletionTimestamp-set-1", "pod-3-to-trigger-eviction-successfully-1"},
				Refused: []Refusal{
					{Pod: "pod-5-to-trigger-eviction-pdb-violated-1", PDB: "pod-5-pdb",
						Reason: "Cannot evict pod as it would violate the pod's disruption budget. The disruption budget pod-5-pdb needs 20 healthy pods and has 20 currently"},
					{Pod: "pod-6-to-trigger-eviction-some-other-error", Reason: "some other error 1"},
				},
				Unlisted: 6,
			},
		},
		{
			name: "not a drain message",
			msg:  "Deleting the Machine's infrastructure",
			want: Report{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Parse(tt.msg)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseDrainMessage:\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// FuzzParse: any condition message parses without panicking, and what it reports is consistent:
// every refused pod has a name, and its PDB is the budget the refusal names ("unknown" when the
// refusal by a budget names none).
func FuzzParse(f *testing.F) {
	f.Add("Drain not completed yet (started at 2024-10-09T16:13:59Z):\n* Pods zdt/web-1, zdt/web-2, ... (2 more): cannot evict pod as it would violate the pod's disruption budget. The disruption budget web needs 5 healthy pods and has 5 currently\n* 3 Pods with other issues")
	f.Add("Drain not completed yet (started at 2024-10-09T16:13:59Z):\n* Pods with eviction failed:\n  * Cannot evict pod as it would violate the pod's disruption budget. The disruption budget api needs 3 healthy pods and has 3 currently: api-1, api-2, ... (1 more)\n* Pods with deletionTimestamp that still exist: a, b")
	f.Add("Drain not completed yet:\n* Pod zdt/db-0: failed to evict Pod, some other error (applying to 2 Pods)\nAfter above Pods have been removed from the Node, the following Pods will be evicted: zdt/late-1")
	f.Add("")
	f.Fuzz(func(t *testing.T, msg string) {
		r := Parse(msg)
		for _, ref := range r.Refused {
			if ref.Pod == "" {
				t.Fatalf("a refusal without a pod: %+v from %q", ref, msg)
			}
			if ref.PDB != "" && ref.PDB != "unknown" && !strings.Contains(ref.Reason, ref.PDB) {
				t.Fatalf("PDB %q not in its reason %q", ref.PDB, ref.Reason)
			}
		}
		if r.Unlisted < 0 {
			t.Fatalf("negative unlisted count %d", r.Unlisted)
		}
	})
}
