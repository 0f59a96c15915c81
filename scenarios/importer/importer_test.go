package importer

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/zdt-dev/zdt/scenarios"
)

func importShop(t *testing.T) (*Result, []byte) {
	t.Helper()
	f, err := os.Open("testdata/shop.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	objs, err := Decode("testdata/shop.yaml", f)
	if err != nil {
		t.Fatal(err)
	}
	base, err := scenarios.OpenAsWritten("ha-well-configured")
	if err != nil {
		t.Fatal(err)
	}
	res, err := Import(objs, Options{Base: base, To: "v1.36.3", Name: "shop"})
	if err != nil {
		t.Fatal(err)
	}
	data, err := res.YAML([]string{"testdata/shop.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	return res, data
}

func TestImportMapsTheWorkloads(t *testing.T) {
	_, data := importShop(t)
	sc, err := scenarios.Parse("shop.yaml", data)
	if err != nil {
		t.Fatalf("the imported scenario does not validate: %v\n%s", err, data)
	}
	if len(sc.Spec.Workloads) != 2 {
		t.Fatalf("%d workloads, want web and db (the DaemonSet is not one)", len(sc.Spec.Workloads))
	}
	web, db := sc.Spec.Workloads[0], sc.Spec.Workloads[1]
	checks := []struct {
		what      string
		got, want any
	}{
		{"web replicas (the HPA's minimum)", *web.Replicas, int32(3)},
		{"web CPU (both containers)", web.Requests.CPU.MilliValue(), int64(350)},
		{"web memory", web.Requests.Memory.Value(), int64(320 << 20)},
		{"web maxSurge", web.Strategy.MaxSurge.IntValue(), 1},
		{"web readiness period (the container with the probe)", web.ReadinessProbe.Period.Duration, 2 * time.Second},
		{"web readiness failure threshold", *web.ReadinessProbe.FailureThreshold, int32(2)},
		{"web readiness initial delay", web.ReadinessProbe.InitialDelay.Duration, 3 * time.Second},
		{"web preStop (the sleep in the exec command)", web.PreStop.Sleep.Duration, 7 * time.Second},
		{"web grace period", web.TerminationGracePeriod.Duration, 45 * time.Second},
		{"web at SIGTERM (pod template annotation)", web.Shutdown.OnSigterm, scenarios.ShutdownDrain},
		{"web startup (Deployment annotation)", web.StartupTime.Duration, 20 * time.Second},
		{"web spread", web.TopologySpread.WhenUnsatisfiable, scenarios.ScheduleAnyway},
		{"web PDB (the first of two)", web.PDB.Name, "web"},
		{"web PDB maxUnavailable", web.PDB.MaxUnavailable.IntValue(), 1},
		{"db replicas", *db.Replicas, int32(3)},
		{"db spread from required anti-affinity", db.TopologySpread.WhenUnsatisfiable, scenarios.DoNotSchedule},
		{"db PDB minAvailable", db.PDB.MinAvailable.IntValue(), 2},
		{"db PDB unhealthy pod eviction policy", db.PDB.UnhealthyPodEvictionPolicy, scenarios.AlwaysAllow},
		{"db preStop (an HTTP hook: unknown length)", db.PreStop == nil, true},
		{"db at SIGTERM (assumed)", db.Shutdown.OnSigterm, scenarios.ShutdownGraceful},
		{"db grace period (Kubernetes default)", db.TerminationGracePeriod.Duration, 30 * time.Second},
		{"load targets (behind a Service)", strings.Join(sc.Spec.Load.Targets, ","), "web"},
		{"to", sc.Spec.Versions.To, "v1.36.3"},
		{"cluster from the base", *sc.Spec.Cluster.WorkerPools[0].Replicas, int32(3)},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: %v, want %v", c.what, c.got, c.want)
		}
	}
}

func TestImportListsWhatItCannotMapAndCommentsAssumptions(t *testing.T) {
	res, data := importShop(t)
	text := string(data)
	for _, want := range []string{
		"DaemonSet shop/log-agent",
		"PodDisruptionBudget web-strict also selects these pods",
		"PodDisruptionBudget shop/orphan: selects no imported workload's pods",
		"StatefulSet shop/db: mapped as a Deployment",
		"preStop httpGet /drain",
		"2 containers: the pod is modelled by container \"app\"",
		"1 ConfigMap: not kinds the import reads",
		// Assumptions beside their fields.
		"onSigterm: Graceful # assumed Graceful",
		"startupTime: 5s # assumed 5s",
		"topologySpread: # from required pod anti-affinity",
		"replicas: 3 # HorizontalPodAutoscaler web's minReplicas",
		"# from Deployment shop/web (testdata/shop.yaml#1)",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the imported file does not say %q:\n%s", want, text)
		}
	}
	if len(res.Unmapped) != 7 {
		t.Errorf("%d unmapped notes, want 7: %+v", len(res.Unmapped), res.Unmapped)
	}
}

func TestImportRefusesABadAnnotation(t *testing.T) {
	in := `apiVersion: apps/v1
kind: Deployment
metadata: {name: a, annotations: {zdt.dev/on-sigterm: Maybe}}
spec:
  selector: {matchLabels: {app: a}}
  template:
    metadata: {labels: {app: a}}
    spec: {containers: [{name: a, image: a}]}
`
	objs, err := Decode("in", strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	base, _, _ := scenarios.Open("ha-well-configured")
	_, err = Import(objs, Options{Base: base})
	if err == nil || !strings.Contains(err.Error(), "zdt.dev/on-sigterm") || !strings.Contains(err.Error(), "Graceful") {
		t.Fatalf("err = %v, want one naming the annotation and its values", err)
	}
}

func TestExecSleep(t *testing.T) {
	cases := map[string]time.Duration{
		"sleep 5":                      5 * time.Second,
		"/bin/sh -c sleep 7 && kill 1": 7 * time.Second,
		"sh -c 'sleep 1.5'":            0, // quoted: no match is better than a wrong one
		"/bin/sleep 10":                0,
		"sh -c sleep 2m":               2 * time.Minute,
		"nginx -s quit; sleep 3":       3 * time.Second,
		"/usr/bin/graceful --sleep=4s": 0,
		"echo sleeping 9":              0,
	}
	for cmd, want := range cases {
		got, ok := execSleep(strings.Fields(cmd))
		if want == 0 && ok || want != 0 && got != want {
			t.Errorf("execSleep(%q) = %s, %v; want %s", cmd, got, ok, want)
		}
	}
}
