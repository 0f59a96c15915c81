package isolation

import (
	"context"
	"fmt"
	"regexp"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
)

// CoreDNS, as kind and kubeadm install it, forwards every name outside the cluster to the
// node's resolver, which Docker's embedded DNS answers by asking the host's resolvers from the
// node's network: the forward plugin's health check (". IN NS" every half second) and the loop
// plugin's probe then leave the machine, and the host refuses them. zdt's clusters resolve
// nothing outside cluster.local (images are preloaded, load comes from 127.0.0.1), so zdt
// removes both plugins from the clusters it creates: a name outside the cluster gets an error
// answer at once, and nothing is sent off the machine.
var (
	forwardBlock = regexp.MustCompile(`(?m)^\s*forward\s+\.\s+[^\n{]*(\{[^}]*\})?[ \t]*\n`)
	loopLine     = regexp.MustCompile(`(?m)^\s*loop\s*\n`)
)

// clusterOnlyCorefile returns the Corefile without forwarding and without the loop probe, and
// whether it changed.
func clusterOnlyCorefile(corefile string) (string, bool) {
	out := loopLine.ReplaceAllString(forwardBlock.ReplaceAllString(corefile, ""), "")
	return out, out != corefile
}

// ResolveClusterOnly makes a cluster's CoreDNS answer cluster names only, and restarts it.
func ResolveClusterOnly(ctx context.Context, cs kubernetes.Interface) error {
	cms := cs.CoreV1().ConfigMaps("kube-system")
	cm, err := cms.Get(ctx, "coredns", metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("coredns config: %w", err)
	}
	corefile, changed := clusterOnlyCorefile(cm.Data["Corefile"])
	if !changed {
		return nil
	}
	cm.Data["Corefile"] = corefile
	if _, err := cms.Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("coredns config: %w", err)
	}
	patch := fmt.Sprintf(`{"spec":{"template":{"metadata":{"annotations":{"zdt.dev/corefile":%q}}}}}`, time.Now().UTC().Format(time.RFC3339))
	if _, err := cs.AppsV1().Deployments("kube-system").Patch(ctx, "coredns", types.StrategicMergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
		return fmt.Errorf("restart coredns: %w", err)
	}
	return nil
}
