// Package etcd takes and verifies the etcd snapshot that is a run's recovery anchor, through a
// port-forward to an etcd pod with a client certificate signed by the etcd CA.
package etcd

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
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"os"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/snapshot"
	etcdutl "go.etcd.io/etcd/etcdutl/v3/snapshot"
	"go.uber.org/zap"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/portforward"
	"k8s.io/client-go/transport/spdy"

	"github.com/zdt-dev/zdt/model"
)

// Save saves a snapshot of the etcd that cfg reaches into path (the client checks the
// file's SHA-256 as it arrives), then reads it back with etcdutl: a snapshot whose hash,
// revision and keys can be read is verified.
func Save(ctx context.Context, cfg clientv3.Config, path string) (*model.EtcdSnapshot, error) {
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

// ClientTLS signs a short-lived client certificate with the etcd CA (PEM certificate and
// key, as in Cluster API's <cluster>-etcd Secret) and returns a TLS configuration that presents
// it and trusts that CA.
func ClientTLS(caCertPEM, caKeyPEM []byte, now time.Time) (*tls.Config, error) {
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

// SecretData decodes one key of an unstructured Secret.
func SecretData(obj map[string]any, key string) ([]byte, error) {
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

// Forward opens a port-forward from a local port on 127.0.0.1 to a pod's port through the API
// server cfg reaches. stop ends it.
func Forward(ctx context.Context, cfg *rest.Config, namespace, pod string, port int) (int, func(), error) {
	transport, upgrader, err := spdy.RoundTripperFor(cfg)
	if err != nil {
		return 0, nil, err
	}
	u, err := url.Parse(cfg.Host)
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
