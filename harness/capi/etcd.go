package capi

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/zdt-dev/zdt/harness/capi/internal/etcd"
	"github.com/zdt-dev/zdt/harness/internal/kube"
	"github.com/zdt-dev/zdt/model"
)

// etcdTimeout bounds the whole snapshot: port-forward, save and verification.
const etcdTimeout = 2 * time.Minute

var secretsGVR = schema.GroupVersionResource{Version: "v1", Resource: "secrets"}

// SnapshotEtcd implements harness.Cluster: it takes a snapshot of the workload cluster's etcd
// through a port-forward to an etcd pod, authenticated by a client certificate zdt signs with
// the etcd CA Cluster API keeps in the Secret <cluster>-etcd, and verifies it (hash, revision
// and key count read back from the file by etcdutl).
func (c *Cluster) SnapshotEtcd(ctx context.Context) (*model.EtcdSnapshot, error) {
	ctx, cancel := context.WithTimeout(ctx, etcdTimeout)
	defer cancel()
	if c.w.workloadConfig == nil {
		return nil, errors.New("etcd snapshot: no workload cluster REST config to reach etcd")
	}
	secret, err := c.w.mgmt.Resource(secretsGVR).Namespace(c.w.namespace).Get(ctx, c.w.name+"-etcd", metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("etcd snapshot: read the etcd CA: %w", err)
	}
	caCert, err := etcd.SecretData(secret.Object, "tls.crt")
	if err != nil {
		return nil, fmt.Errorf("etcd snapshot: %w", err)
	}
	caKey, err := etcd.SecretData(secret.Object, "tls.key")
	if err != nil {
		return nil, fmt.Errorf("etcd snapshot: %w", err)
	}
	tlsCfg, err := etcd.ClientTLS(caCert, caKey, c.w.clock.Now())
	if err != nil {
		return nil, fmt.Errorf("etcd snapshot: %w", err)
	}
	pods, err := c.w.workload.CoreV1().Pods(metav1.NamespaceSystem).List(ctx, metav1.ListOptions{LabelSelector: "component=etcd"})
	if err != nil {
		return nil, fmt.Errorf("etcd snapshot: list etcd pods: %w", err)
	}
	pod := ""
	for i := range pods.Items {
		if kube.PodReady(&pods.Items[i]) && pods.Items[i].DeletionTimestamp == nil {
			pod = pods.Items[i].Name
			break
		}
	}
	if pod == "" {
		return nil, errors.New("etcd snapshot: no Ready etcd pod in kube-system")
	}
	port, stop, err := etcd.Forward(ctx, c.w.workloadConfig, metav1.NamespaceSystem, pod, 2379)
	if err != nil {
		return nil, fmt.Errorf("etcd snapshot: port-forward to %s: %w", pod, err)
	}
	defer stop()
	dir := c.opts.SnapshotDir
	if dir == "" {
		dir = os.TempDir()
	}
	path := filepath.Join(dir, fmt.Sprintf("etcd-%s-%d.db", c.w.name, c.Now()/time.Second))
	snap, err := etcd.Save(ctx, clientv3.Config{
		Endpoints: []string{fmt.Sprintf("https://127.0.0.1:%d", port)}, TLS: tlsCfg, DialTimeout: 10 * time.Second,
	}, path)
	if err != nil {
		return nil, fmt.Errorf("etcd snapshot of %s: %w", pod, err)
	}
	snap.TakenAt = c.Now()
	c.tl.Instant(model.Info, model.Locator{Cluster: c.w.name}, model.ReasonEtcdSnapshot,
		fmt.Sprintf("etcd snapshot %s (%d bytes, revision %d, verified %v)", snap.Path, snap.Size, snap.Revision, snap.Verified))
	return snap, nil
}
