package kube

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"
)

// What a dump of a cluster leaves out: Secrets (credentials have no place in CI artifacts), and
// the API's own bookkeeping kinds that say nothing about an upgrade.
var dumpSkip = map[string]bool{
	"secrets": true, "tokenreviews": true, "subjectaccessreviews": true, "selfsubjectaccessreviews": true,
	"selfsubjectrulesreviews": true, "localsubjectaccessreviews": true, "selfsubjectreviews": true,
	"bindings": true, "componentstatuses": true,
}

// maxLogLines bounds each container log of a dump: its last lines are kept.
const maxLogLines = 20000

// DumpResources writes every object of every listable resource of the cluster behind cfg
// (Secrets left out) into dir, one YAML file per resource: dir/GROUP/RESOURCE.yaml ("core" for
// the core group). It goes on past a resource it cannot list, and returns those errors joined.
func DumpResources(ctx context.Context, cfg *rest.Config, dir string) error {
	disc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return err
	}
	lists, err := disc.ServerPreferredResources()
	if err != nil && len(lists) == 0 {
		return fmt.Errorf("discovery: %w", err)
	}
	var errs []error
	for _, l := range lists {
		gv, err := schema.ParseGroupVersion(l.GroupVersion)
		if err != nil {
			continue
		}
		for _, r := range l.APIResources {
			if strings.Contains(r.Name, "/") || dumpSkip[r.Name] || !contains(r.Verbs, "list") {
				continue
			}
			objs, err := dyn.Resource(gv.WithResource(r.Name)).List(ctx, metav1.ListOptions{})
			if err != nil {
				errs = append(errs, fmt.Errorf("list %s: %w", r.Name, err))
				continue
			}
			if len(objs.Items) == 0 {
				continue
			}
			var b strings.Builder
			for i := range objs.Items {
				o := &objs.Items[i]
				o.SetManagedFields(nil)
				y, err := yaml.Marshal(o.Object)
				if err != nil {
					errs = append(errs, err)
					continue
				}
				b.WriteString("---\n")
				b.Write(y)
			}
			group := gv.Group
			if group == "" {
				group = "core"
			}
			if err := writeFile(filepath.Join(dir, group, r.Name+".yaml"), strings.NewReader(b.String())); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// DumpPodLogs writes the log of every container of every pod in the namespaces (all when none
// is given) into dir/NAMESPACE/POD/CONTAINER.log, the previous instance's beside it as
// CONTAINER.previous.log when the container restarted; each its last 20,000 lines.
func DumpPodLogs(ctx context.Context, cs kubernetes.Interface, dir string, namespaces ...string) error {
	if len(namespaces) == 0 {
		namespaces = []string{metav1.NamespaceAll}
	}
	var errs []error
	for _, ns := range namespaces {
		pods, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			errs = append(errs, fmt.Errorf("list pods: %w", err))
			continue
		}
		sort.Slice(pods.Items, func(i, j int) bool { return pods.Items[i].Name < pods.Items[j].Name })
		for _, p := range pods.Items {
			for _, c := range p.Status.ContainerStatuses {
				logs := []struct {
					previous bool
					name     string
				}{{false, c.Name + ".log"}}
				if c.RestartCount > 0 {
					logs = append(logs, struct {
						previous bool
						name     string
					}{true, c.Name + ".previous.log"})
				}
				for _, l := range logs {
					tail := int64(maxLogLines)
					rc, err := cs.CoreV1().Pods(p.Namespace).GetLogs(p.Name, &corev1.PodLogOptions{Container: c.Name, Previous: l.previous, TailLines: &tail}).Stream(ctx)
					if err != nil {
						errs = append(errs, fmt.Errorf("logs of %s/%s %s: %w", p.Namespace, p.Name, c.Name, err))
						continue
					}
					err = writeFile(filepath.Join(dir, p.Namespace, p.Name, l.name), rc)
					rc.Close()
					if err != nil {
						errs = append(errs, err)
					}
				}
			}
		}
	}
	return errors.Join(errs...)
}

func writeFile(path string, r io.Reader) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, r)
	return errors.Join(err, f.Close())
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
