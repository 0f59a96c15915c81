// Package onjob runs a sweep on a Kubernetes cluster as an Indexed Job: each index runs its slice
// of the seeds with zdt's own image (zdt sweep --shard) and prints one JSON line per seed; the
// lines are read back from the pods' logs and folded into the same result as a local sweep
// (sweep.FromLines). zdt creates one namespace for the sweep and deletes it at the end, on error
// and on interrupt; it touches nothing else.
package onjob

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/zdt-dev/zdt/harness/sweep"
	"github.com/zdt-dev/zdt/scenarios"
)

// labelOwned marks what zdt created.
const labelOwned = "dev.zdt.owned"

// Input is a sweep to run as a Job.
type Input struct {
	Client   kubernetes.Interface
	Scenario *scenarios.Scenario
	// Seeds from FirstSeed; Faults is zdt sweep's --faults (scenario, random or none).
	Seeds     int
	FirstSeed int64
	Faults    string
	// Parallelism is the number of indexes, each a pod with its slice of the seeds.
	Parallelism int
	// Image runs the pods: zdt's own (images.ZDTImage) at the same version. Timeout bounds the
	// whole Job (default 1 h).
	Image   string
	Timeout time.Duration
	// Progress, when set, receives a line now and then.
	Progress func(format string, args ...any)
}

// poll is how often the Job's status is read.
const poll = 2 * time.Second

// Run runs the sweep as a Job and returns every seed's result line, checked to cover each seed
// exactly once.
func Run(ctx context.Context, in Input) ([]sweep.ResultLine, error) {
	if in.Parallelism < 1 || in.Parallelism > in.Seeds {
		return nil, fmt.Errorf("--parallelism %d: between 1 and the number of seeds (%d)", in.Parallelism, in.Seeds)
	}
	if in.Image == "" {
		return nil, errors.New("no image for the sweep's pods")
	}
	if in.Timeout <= 0 {
		in.Timeout = time.Hour
	}
	progress := in.Progress
	if progress == nil {
		progress = func(string, ...any) {}
	}
	data, err := scenarios.Marshal(in.Scenario)
	if err != nil {
		return nil, err
	}
	suffix := make([]byte, 4)
	if _, err := rand.Read(suffix); err != nil {
		return nil, err
	}
	ns := "zdt-sweep-" + hex.EncodeToString(suffix)
	cs := in.Client
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: map[string]string{labelOwned: "true"}}}, metav1.CreateOptions{}); err != nil {
		return nil, fmt.Errorf("create namespace %s: %w", ns, err)
	}
	defer func() {
		// Deleting the namespace removes the Job, its pods and the ConfigMap, even after Ctrl-C.
		cleanup, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		bg := metav1.DeletePropagationBackground
		if err := cs.CoreV1().Namespaces().Delete(cleanup, ns, metav1.DeleteOptions{PropagationPolicy: &bg}); err != nil {
			progress("could not delete namespace %s: %v (kubectl delete namespace %s removes it)", ns, err, ns)
			return
		}
		progress("namespace %s deleted", ns)
	}()
	if _, err := cs.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "scenario", Labels: map[string]string{labelOwned: "true"}},
		Data:       map[string]string{"scenario.yaml": string(data)},
	}, metav1.CreateOptions{}); err != nil {
		return nil, fmt.Errorf("create the scenario's ConfigMap: %w", err)
	}
	job, err := cs.BatchV1().Jobs(ns).Create(ctx, jobFor(in), metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("create the sweep's Job: %w", err)
	}
	progress("Job %s/%s: %d seeds in %d indexes, image %s", ns, job.Name, in.Seeds, in.Parallelism, in.Image)
	if err := wait(ctx, cs, ns, job.Name, in, progress); err != nil {
		return nil, err
	}
	return collect(ctx, cs, ns, job.Name, in)
}

// jobFor is the Indexed Job: index i runs shard i of Parallelism.
func jobFor(in Input) *batchv1.Job {
	n := int32(in.Parallelism)
	mode := batchv1.IndexedCompletion
	var backoff int32
	args := []string{"sweep", "/scenario/scenario.yaml",
		"--shard", fmt.Sprintf("$(JOB_COMPLETION_INDEX)/%d", in.Parallelism),
		"--seeds", strconv.Itoa(in.Seeds), "--first-seed", strconv.FormatInt(in.FirstSeed, 10),
		"--faults", in.Faults, "--no-shrink", "--results", "-"}
	deadline := int64(in.Timeout.Seconds())
	return &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: "sweep", Labels: map[string]string{labelOwned: "true"}},
		Spec: batchv1.JobSpec{
			Completions: &n, Parallelism: &n, CompletionMode: &mode, BackoffLimit: &backoff,
			ActiveDeadlineSeconds: &deadline,
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{labelOwned: "true"}},
				Spec: corev1.PodSpec{
					RestartPolicy: corev1.RestartPolicyNever,
					Containers: []corev1.Container{{
						Name: "sweep", Image: in.Image, ImagePullPolicy: corev1.PullIfNotPresent, Args: args,
						Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
							corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("128Mi")}},
						VolumeMounts: []corev1.VolumeMount{{Name: "scenario", MountPath: "/scenario", ReadOnly: true}},
					}},
					Volumes: []corev1.Volume{{Name: "scenario", VolumeSource: corev1.VolumeSource{
						ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "scenario"}}}}},
				},
			},
		},
	}
}

// wait polls the Job until every index succeeded, one failed, the timeout passed or ctx ended.
func wait(ctx context.Context, cs kubernetes.Interface, ns, name string, in Input, progress func(string, ...any)) error {
	deadline := time.Now().Add(in.Timeout)
	tick := time.NewTicker(poll)
	defer tick.Stop()
	last := int32(-1)
	for time.Now().Before(deadline) {
		j, err := cs.BatchV1().Jobs(ns).Get(ctx, name, metav1.GetOptions{})
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case err != nil:
			progress("read Job %s/%s: %v (retrying)", ns, name, err)
		case j.Status.Failed > 0:
			return fmt.Errorf("Job %s/%s: %d index(es) failed: %s", ns, name, j.Status.Failed, podTrouble(ctx, cs, ns))
		case j.Status.Succeeded == int32(in.Parallelism):
			progress("Job %s/%s: %d of %d indexes done", ns, name, j.Status.Succeeded, in.Parallelism)
			return nil
		case j.Status.Succeeded != last:
			last = j.Status.Succeeded
			progress("Job %s/%s: %d of %d indexes done, %d running", ns, name, j.Status.Succeeded, in.Parallelism, j.Status.Active)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
	return fmt.Errorf("Job %s/%s: not done after %s: %s", ns, name, in.Timeout, podTrouble(ctx, cs, ns))
}

// podTrouble says why the sweep's pods do not finish, from their container states.
func podTrouble(ctx context.Context, cs kubernetes.Interface, ns string) string {
	pods, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return err.Error()
	}
	var parts []string
	for _, p := range pods.Items {
		for _, st := range p.Status.ContainerStatuses {
			switch {
			case st.State.Waiting != nil:
				parts = append(parts, fmt.Sprintf("pod %s waiting: %s %s", p.Name, st.State.Waiting.Reason, st.State.Waiting.Message))
			case st.State.Terminated != nil && st.State.Terminated.ExitCode != 0:
				parts = append(parts, fmt.Sprintf("pod %s exited %d: %s", p.Name, st.State.Terminated.ExitCode, st.State.Terminated.Message))
			}
		}
	}
	if len(parts) == 0 {
		return "no pod says why"
	}
	return strings.Join(parts, "; ")
}

// collect reads the result lines from the logs of the pods that succeeded, one per index.
func collect(ctx context.Context, cs kubernetes.Interface, ns, job string, in Input) ([]sweep.ResultLine, error) {
	pods, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: batchv1.JobNameLabel + "=" + job})
	if err != nil {
		return nil, fmt.Errorf("list the sweep's pods: %w", err)
	}
	seen := map[int64]bool{}
	var lines []sweep.ResultLine
	indexes := map[string]bool{}
	for _, p := range pods.Items {
		idx := p.Annotations[batchv1.JobCompletionIndexAnnotation]
		if p.Status.Phase != corev1.PodSucceeded || indexes[idx] {
			continue
		}
		indexes[idx] = true
		got, err := podLines(ctx, cs, ns, p.Name)
		if err != nil {
			return nil, err
		}
		for _, l := range got {
			if seen[l.Seed] {
				return nil, fmt.Errorf("pod %s: seed %d reported twice", p.Name, l.Seed)
			}
			seen[l.Seed] = true
		}
		lines = append(lines, got...)
	}
	if len(lines) != in.Seeds {
		return nil, fmt.Errorf("the sweep's pods reported %d of %d seeds", len(lines), in.Seeds)
	}
	for s := in.FirstSeed; s < in.FirstSeed+int64(in.Seeds); s++ {
		if !seen[s] {
			return nil, fmt.Errorf("no pod reported seed %d", s)
		}
	}
	return lines, nil
}

// podLines reads one pod's log: its result lines (JSON objects); progress lines are skipped.
func podLines(ctx context.Context, cs kubernetes.Interface, ns, pod string) ([]sweep.ResultLine, error) {
	rc, err := cs.CoreV1().Pods(ns).GetLogs(pod, &corev1.PodLogOptions{Container: "sweep"}).Stream(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the log of pod %s: %w", pod, err)
	}
	defer rc.Close()
	var out []sweep.ResultLine
	sc := bufio.NewScanner(rc)
	sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
	for sc.Scan() {
		b := sc.Bytes()
		if len(b) == 0 || b[0] != '{' {
			continue
		}
		var l sweep.ResultLine
		if err := json.Unmarshal(b, &l); err != nil {
			return nil, fmt.Errorf("pod %s: a result line does not decode: %w", pod, err)
		}
		out = append(out, l)
	}
	if err := sc.Err(); err != nil {
		return nil, errors.Join(fmt.Errorf("read the log of pod %s", pod), err)
	}
	return out, nil
}
