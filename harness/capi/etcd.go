package capi

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/snapshot"
	etcdutl "go.etcd.io/etcd/etcdutl/v3/snapshot"
	"go.uber.org/zap"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/tools/portforward"
	"k8s.io/client-go/transport/spdy"

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
	caCert, err := secretData(secret.Object, "tls.crt")
	if err != nil {
		return nil, fmt.Errorf("etcd snapshot: %w", err)
	}
	caKey, err := secretData(secret.Object, "tls.key")
	if err != nil {
		return nil, fmt.Errorf("etcd snapshot: %w", err)
	}
	tlsCfg, err := etcdClientTLS(caCert, caKey, c.w.clock())
	if err != nil {
		return nil, fmt.Errorf("etcd snapshot: %w", err)
	}
	pods, err := c.w.workload.CoreV1().Pods(metav1.NamespaceSystem).List(ctx, metav1.ListOptions{LabelSelector: "component=etcd"})
	if err != nil {
		return nil, fmt.Errorf("etcd snapshot: list etcd pods: %w", err)
	}
	pod := ""
	for i := range pods.Items {
		if PodReady(&pods.Items[i]) && pods.Items[i].DeletionTimestamp == nil {
			pod = pods.Items[i].Name
			break
		}
	}
	if pod == "" {
		return nil, errors.New("etcd snapshot: no Ready etcd pod in kube-system")
	}
	port, stop, err := c.forward(ctx, metav1.NamespaceSystem, pod, 2379)
	if err != nil {
		return nil, fmt.Errorf("etcd snapshot: port-forward to %s: %w", pod, err)
	}
	defer stop()
	dir := c.opts.SnapshotDir
	if dir == "" {
		dir = os.TempDir()
	}
	path := filepath.Join(dir, fmt.Sprintf("etcd-%s-%d.db", c.w.name, c.Now()/time.Second))
	snap, err := saveSnapshot(ctx, clientv3.Config{
		Endpoints: []string{fmt.Sprintf("https://127.0.0.1:%d", port)}, TLS: tlsCfg, DialTimeout: 10 * time.Second,
	}, path)
	if err != nil {
		return nil, fmt.Errorf("etcd snapshot of %s: %w", pod, err)
	}
	snap.TakenAt = c.Now()
	c.tl.mu.Lock()
	c.tl.record(model.Info, model.Locator{Cluster: c.w.name}, model.ReasonEtcdSnapshot,
		fmt.Sprintf("etcd snapshot %s (%d bytes, revision %d, verified %v)", snap.Path, snap.Size, snap.Revision, snap.Verified), snap.TakenAt, snap.TakenAt)
	c.tl.mu.Unlock()
	return snap, nil
}

// saveSnapshot saves a snapshot of the etcd that cfg reaches into path (the client checks the
// file's SHA-256 as it arrives), then reads it back with etcdutl: a snapshot whose hash,
// revision and keys can be read is verified.
func saveSnapshot(ctx context.Context, cfg clientv3.Config, path string) (*model.EtcdSnapshot, error) {
	lg := zap.NewNop()
	if _, err := snapshot.SaveWithVersion(ctx, lg, cfg, path); err != nil {
		return nil, fmt.Errorf("save: %w", err)
	}
	st, err := etcdutl.NewV3(lg).Status(path)
	if err != nil {
		return nil, fmt.Errorf("verify %s: %w", path, err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("verify %s: %w", path, err)
	}
	return &model.EtcdSnapshot{Path: path, Size: fi.Size(), Revision: st.Revision,
		Verified: st.Revision > 0 && st.TotalKey > 0}, nil
}

// etcdClientTLS signs a short-lived client certificate with the etcd CA (PEM certificate and
// key, as in Cluster API's <cluster>-etcd Secret) and returns a TLS configuration that presents
// it and trusts that CA.
func etcdClientTLS(caCertPEM, caKeyPEM []byte, now time.Time) (*tls.Config, error) {
	ca, err := tls.X509KeyPair(caCertPEM, caKeyPEM)
	if err != nil {
		return nil, fmt.Errorf("etcd CA: %w", err)
	}
	caCert, err := x509.ParseCertificate(ca.Certificate[0])
	if err != nil {
		return nil, fmt.Errorf("etcd CA: %w", err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("etcd client key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return nil, fmt.Errorf("etcd client certificate: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "zdt-etcd-snapshot"},
		NotBefore:    now.Add(-5 * time.Minute),
		NotAfter:     now.Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, ca.PrivateKey)
	if err != nil {
		return nil, fmt.Errorf("etcd client certificate: %w", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(caCert)
	return &tls.Config{
		Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}},
		RootCAs:      pool,
		MinVersion:   tls.VersionTLS12,
	}, nil
}

// secretData decodes one key of an unstructured Secret.
func secretData(obj map[string]any, key string) ([]byte, error) {
	data, _ := obj["data"].(map[string]any)
	s, _ := data[key].(string)
	if s == "" {
		return nil, fmt.Errorf("secret has no %s", key)
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("secret %s: %w", key, err)
	}
	if blk, _ := pem.Decode(b); blk == nil {
		return nil, fmt.Errorf("secret %s is not PEM", key)
	}
	return b, nil
}

// forward opens a port-forward from a local port on 127.0.0.1 to a pod's port. stop ends it.
func (c *Cluster) forward(ctx context.Context, namespace, pod string, port int) (int, func(), error) {
	transport, upgrader, err := spdy.RoundTripperFor(c.w.workloadConfig)
	if err != nil {
		return 0, nil, err
	}
	u, err := url.Parse(c.w.workloadConfig.Host)
	if err != nil {
		return 0, nil, err
	}
	u.Path = fmt.Sprintf("%s/api/v1/namespaces/%s/pods/%s/portforward", u.Path, namespace, pod)
	dialer := spdy.NewDialer(upgrader, &http.Client{Transport: transport}, http.MethodPost, u)
	stopCh, readyCh := make(chan struct{}), make(chan struct{})
	fw, err := portforward.NewOnAddresses(dialer, []string{"127.0.0.1"}, []string{fmt.Sprintf("0:%d", port)}, stopCh, readyCh, io.Discard, io.Discard)
	if err != nil {
		return 0, nil, err
	}
	errCh := make(chan error, 1)
	go func() { errCh <- fw.ForwardPorts() }()
	stop := func() { close(stopCh); <-errCh }
	select {
	case <-readyCh:
	case err := <-errCh:
		return 0, nil, err
	case <-ctx.Done():
		close(stopCh)
		<-errCh
		return 0, nil, ctx.Err()
	}
	ports, err := fw.GetPorts()
	if err != nil || len(ports) == 0 {
		stop()
		return 0, nil, fmt.Errorf("no local port: %w", err)
	}
	return int(ports[0].Local), stop, nil
}
