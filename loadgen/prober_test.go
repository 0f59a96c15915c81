package loadgen

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/zdt-dev/zdt/model"
)

func insecureTLS() *tls.Config { return &tls.Config{InsecureSkipVerify: true} }

func TestAPIProbeRefuses(t *testing.T) {
	tests := []struct {
		server  string
		tls     ProbeTLS
		wantErr string
	}{
		{"https://172.18.0.3:6443", ProbeTLS{InsecureSkipVerify: true}, "only for loopback"},
		{"http://127.0.0.1:6443", ProbeTLS{}, "https"},
	}
	for _, tt := range tests {
		t.Run(tt.server, func(t *testing.T) {
			_, err := APIProbe(tt.server, tt.tls)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("APIProbe() = %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestAPIProbe(t *testing.T) {
	var paths []string
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths = append(paths, r.URL.Path)
		w.Header().Set(BackendHeader, "apiserver-0")
		w.Write([]byte("ok"))
	}))
	defer srv.Close()
	tests := []struct {
		name string
		tls  ProbeTLS
		code int
	}{
		{"verified with the cluster CA", ProbeTLS{RootCAs: srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs}, 200},
		{"insecure on loopback", ProbeTLS{InsecureSkipVerify: true}, 200},
		{"unknown CA fails", ProbeTLS{}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			paths = nil
			probe, err := APIProbe(srv.URL, tt.tls)
			if err != nil {
				t.Fatal(err)
			}
			var mem model.Memory
			stats, err := Attack(t.Context(), &mem, []Stream{probe}, Options{Duration: time.Minute, MaxHits: 1})
			if err != nil {
				t.Fatalf("Attack() = %v", err)
			}
			if len(mem.Samples) != 1 || stats[0].Recorded != 1 {
				t.Fatalf("samples = %+v, stats %+v; want one probe", mem.Samples, stats)
			}
			s := mem.Samples[0]
			if s.Target != model.APITarget || s.Conn != model.ConnNew || s.Code != tt.code {
				t.Errorf("sample = %+v, want an api sample with code %d", s, tt.code)
			}
			if tt.code == 200 && (len(paths) != 1 || paths[0] != ProbePath || s.Backend != "apiserver-0") {
				t.Errorf("server saw %v, sample backend %q", paths, s.Backend)
			}
			if tt.code == 0 && !strings.Contains(s.Error, "certificate") {
				t.Errorf("error = %q, want a certificate error", s.Error)
			}
		})
	}
}
