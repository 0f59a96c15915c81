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
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	fakediscovery "k8s.io/client-go/discovery/fake"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/rest"
	k8stesting "k8s.io/client-go/testing"

	"github.com/zdt-dev/zdt/harness/capi/internal/capitest"
	"github.com/zdt-dev/zdt/harness/capi/internal/objects"
	"github.com/zdt-dev/zdt/model"
	"github.com/zdt-dev/zdt/scenarios"
)

// localhostServer is an HTTPS server on 127.0.0.1 whose certificate names only localhost (as a
// kind or kubeadm API server's does), answering every path with 200.
func localhostServer(t *testing.T) (*httptest.Server, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "kube-apiserver"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		DNSNames: []string{"localhost"}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	pair, err := tls.X509KeyPair(certPEM, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{pair}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv, certPEM
}

// localhostURL names a test server's address with the host name localhost.
func localhostURL(t *testing.T, srv *httptest.Server) string {
	_, port, err := net.SplitHostPort(srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	return strings.SplitN(srv.URL, "://", 2)[0] + "://localhost:" + port
}

// TestConnectProbesAndLoadsLocalhost: a kubeconfig whose API server, and load targets given as
// localhost, are reached at 127.0.0.1 (with the API server's certificate checked for
// localhost): the run probes the API and sends load.
func TestConnectProbesAndLoadsLocalhost(t *testing.T) {
	api, caPEM := localhostServer(t)
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
	defer app.Close()
	kubeconfig := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters: [{name: wl, cluster: {server: %q, certificate-authority-data: %s}}]
contexts: [{name: wl, context: {cluster: wl, user: admin}}]
current-context: wl
users: [{name: admin, user: {token: t}}]
`, localhostURL(t, api), base64.StdEncoding.EncodeToString(caPEM))
	secret := capitest.Object("v1", "Secret", "wl-kubeconfig", nil, map[string]any{
		"data": map[string]any{"value": base64.StdEncoding.EncodeToString([]byte(kubeconfig))},
	})
	mgmt := capitest.NewDynamic(capitest.Cluster("v1.36.3"), secret)
	disc := &fakediscovery.FakeDiscovery{Fake: &k8stesting.Fake{Resources: []*metav1.APIResourceList{{GroupVersion: objects.ClusterGroup + "/v1beta2"}}}}
	sc, err := scenarios.Parse("test.yaml", []byte(`apiVersion: zdt.dev/v1alpha1
kind: Scenario
metadata: {name: localhost}
spec:
  cluster: {workerPools: [{name: md-0}]}
  versions: {from: v1.36.3, to: v1.37.2}
  workloads: [{name: web}]
  load: {rate: 20, connections: [new]}
`))
	if err != nil {
		t.Fatal(err)
	}
	rec := &capitest.Recorder{}
	var gotHost string
	ctx := context.Background()
	c, err := connect(ctx, ConnectInput{
		Scenario: sc, Recorder: rec, Name: "wl",
		Targets: map[string]string{"web": localhostURL(t, app)},
	}, mgmt, disc, func(cfg *rest.Config) (kubernetes.Interface, error) {
		gotHost = cfg.Host
		return fake.NewSimpleClientset(), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	if !strings.Contains(gotHost, "localhost") {
		t.Fatalf("workload client made for %q, want the kubeconfig's localhost address", gotHost)
	}
	if err := c.StartLoad(ctx); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond)
	stats, err := c.StopLoad(ctx)
	if err != nil {
		t.Fatalf("StopLoad: %v", err)
	}
	ok := map[string]int{}
	for _, s := range rec.Samples() {
		if s.OK() {
			ok[s.Target]++
		} else {
			t.Errorf("a request failed: %+v", s)
		}
	}
	if ok[model.APITarget] == 0 || ok["web"] == 0 {
		t.Errorf("successful samples by target %v (streams %+v): want API probes and load", ok, stats)
	}
}
