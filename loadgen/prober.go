package loadgen

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/url"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/zdt-dev/zdt/model"
)

// Probe settings of the API availability prober.
const (
	ProbePeriod  = time.Second
	ProbeTimeout = time.Second
	ProbePath    = "/readyz"
)

// ProbeTLS is how the API prober checks the apiserver's certificate.
type ProbeTLS struct {
	// RootCAs verifies the serving certificate (the workload cluster's CA).
	RootCAs *x509.CertPool
	// ServerName overrides the name verified against the certificate (the load balancer's
	// address is rarely in it); empty means the URL's host.
	ServerName string
	// InsecureSkipVerify skips verification; zdt allows it only for a loopback address.
	InsecureSkipVerify bool
}

// APIProbe returns the stream of zdt's API availability prober: GET /readyz on the workload
// cluster's API through its load balancer (server, e.g. https://127.0.0.1:6443, or
// https://localhost:6443, probed at 127.0.0.1 with the certificate checked for localhost), once every
// ProbePeriod, each probe on a new connection with a ProbeTimeout, recorded as samples of
// model.APITarget. Run it with Attack, alongside the load or alone.
func APIProbe(server string, t ProbeTLS) (Stream, error) {
	u, err := url.Parse(server)
	if err != nil {
		return Stream{}, fmt.Errorf("api probe: %w", err)
	}
	localName := rewriteLocalhost(u)
	if u.Scheme != "https" {
		return Stream{}, fmt.Errorf("api probe %q: the API is served over https", server)
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = ProbePath
	}
	if t.InsecureSkipVerify && !isLoopback(u.String()) {
		return Stream{}, fmt.Errorf("api probe %q: skipping TLS verification is allowed only for loopback addresses", server)
	}
	serverName := t.ServerName
	if serverName == "" {
		serverName = localName
	}
	cfg := &tls.Config{
		RootCAs:            t.RootCAs,
		ServerName:         serverName,
		InsecureSkipVerify: t.InsecureSkipVerify,
		MinVersion:         tls.VersionTLS12,
	}
	return Stream{
		Target:  model.APITarget,
		URL:     u.String(),
		Conn:    model.ConnNew,
		Pacer:   vegeta.Rate{Freq: 1, Per: ProbePeriod},
		TLS:     cfg,
		Timeout: ProbeTimeout,
	}, nil
}
