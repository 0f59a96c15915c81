package loadgen

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/zdt-dev/zdt/model"
)

func TestCheckTarget(t *testing.T) {
	allow := []netip.Addr{netip.MustParseAddr("172.18.0.5")}
	tests := []struct {
		url     string
		wantErr string
	}{
		{"http://127.0.0.1:8080/", ""},
		{"https://127.0.0.1:6443/readyz", ""},
		{"http://127.9.9.9/", ""},
		{"http://[::1]:80/", ""},
		{"http://172.18.0.5:30080/", ""},
		{"http://172.18.0.6:30080/", "refusing to send traffic to 172.18.0.6"},
		{"http://10.0.0.1/", "refusing"},
		{"http://example.com/", "is not an IP address"},
		{"http://localhost:8080/", "pass the address ResolveTarget gives (http://127.0.0.1:8080/)"},
		{"ftp://127.0.0.1/", "scheme must be http or https"},
		{"::", "missing protocol scheme"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			err := CheckTarget(tt.url, allow)
			if tt.wantErr == "" && err != nil {
				t.Fatalf("CheckTarget() = %v, want nil", err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("CheckTarget() = %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestResolveTarget(t *testing.T) {
	tests := []struct {
		url, want, serverName, wantErr string
	}{
		{url: "http://127.0.0.1:8080/", want: "http://127.0.0.1:8080/"},
		{url: "https://localhost:6443", want: "https://127.0.0.1:6443", serverName: "localhost"},
		{url: "http://LOCALHOST/x", want: "http://127.0.0.1/x", serverName: "localhost"},
		{url: "http://localhost.example.com/", wantErr: "is not an IP address nor localhost"},
		{url: "http://10.1.2.3/", wantErr: "refusing"},
	}
	for _, tt := range tests {
		got, err := ResolveTarget(tt.url, nil)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ResolveTarget(%q) = %+v, %v; want an error containing %q", tt.url, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got.URL != tt.want || got.ServerName != tt.serverName {
			t.Errorf("ResolveTarget(%q) = %+v, %v; want %s (server name %q)", tt.url, got, err, tt.want, tt.serverName)
		}
		if err := CheckTarget(got.URL, nil); err != nil {
			t.Errorf("the attacker refuses what ResolveTarget gave: %v", err)
		}
	}
}

func TestAttackRefusesBadInput(t *testing.T) {
	rate := vegeta.Rate{Freq: 10, Per: time.Second}
	tests := []struct {
		name    string
		streams []Stream
		opts    Options
		wantErr string
	}{
		{"foreign address", []Stream{{Target: "web", URL: "http://8.8.8.8/", Conn: model.ConnNew, Pacer: rate}}, Options{Duration: time.Second}, "refusing"},
		{"no duration", []Stream{{Target: "web", URL: "http://127.0.0.1:1/", Conn: model.ConnNew, Pacer: rate}}, Options{}, "duration"},
		{"no streams", nil, Options{Duration: time.Second}, "no streams"},
		{"no pacer", []Stream{{Target: "web", URL: "http://127.0.0.1:1/", Conn: model.ConnNew}}, Options{Duration: time.Second}, "no pacer"},
		{"bad conn", []Stream{{Target: "web", URL: "http://127.0.0.1:1/", Conn: "both", Pacer: rate}}, Options{Duration: time.Second}, "connection mode"},
		{"insecure TLS off loopback", []Stream{{Target: "api", URL: "https://172.18.0.5:6443/", Conn: model.ConnNew, Pacer: rate, TLS: insecureTLS()}},
			Options{Duration: time.Second, Allow: []netip.Addr{netip.MustParseAddr("172.18.0.5")}}, "only for loopback"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mem model.Memory
			_, err := Attack(t.Context(), &mem, tt.streams, tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Attack() = %v, want an error containing %q", err, tt.wantErr)
			}
			if len(mem.Samples) != 0 {
				t.Errorf("Attack() recorded %d samples before refusing", len(mem.Samples))
			}
		})
	}
}

// restartable is a sample HTTP server on a fixed 127.0.0.1 port that can be stopped and started
// again, counting every request it answered.
type restartable struct {
	t      *testing.T
	addr   string
	served atomic.Int64
	// at and fn: fn runs once, when the server has answered at requests.
	at   int64
	fn   func()
	once sync.Once
	mu   sync.Mutex
	srv  *http.Server
	done chan struct{}
}

func newRestartable(t *testing.T) *restartable {
	r := &restartable{t: t}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r.addr = ln.Addr().String()
	r.serve(ln)
	t.Cleanup(r.stop)
	return r
}

// after has fn run once the server has answered n requests.
func (r *restartable) after(n int64, fn func()) { r.at, r.fn = n, fn }

func (r *restartable) serve(ln net.Listener) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set(BackendHeader, "sample-0")
		n := r.served.Add(1)
		w.Write([]byte("ok\n"))
		if r.fn != nil && n == r.at {
			r.once.Do(r.fn)
		}
	})}
	r.done = make(chan struct{})
	srv, done := r.srv, r.done
	go func() {
		defer close(done)
		srv.Serve(ln)
	}()
}

// stop shuts the server down gracefully: requests it has read are answered, the rest refused.
func (r *restartable) stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.srv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := r.srv.Shutdown(ctx); err != nil {
		r.srv.Close()
	}
	<-r.done
	r.srv = nil
}

func (r *restartable) start() {
	ln, err := net.Listen("tcp", r.addr)
	if err != nil {
		r.t.Errorf("restart on %s: %v", r.addr, err)
		return
	}
	r.serve(ln)
}

// restartRecorder writes samples to a run directory and starts the server again once enough
// requests have failed while it was down: the restart follows what the attacker saw, not the
// wall clock.
type restartRecorder struct {
	*model.Writer
	srv       *restartable
	stopped   *atomic.Bool
	failures  int
	restartAt time.Duration
}

func (r *restartRecorder) Sample(s *model.Sample) error {
	if !s.OK() && r.stopped.Load() && r.restartAt == 0 {
		if r.failures++; r.failures == 20 {
			r.restartAt = s.At
			r.srv.start()
		}
	}
	return r.Writer.Sample(s)
}

// TestAttackServerRestart sends load at a local server that stops after answering 80 requests
// and starts again once 20 requests have failed: every request the server did not answer is
// recorded as dropped, and every request sent is in the sample file.
func TestAttackServerRestart(t *testing.T) {
	srv := newRestartable(t)
	var stopped atomic.Bool
	srv.after(80, func() {
		stopped.Store(true)
		go srv.stop()
	})
	dir := t.TempDir()
	w, err := model.Create(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	rec := &restartRecorder{Writer: w, srv: srv, stopped: &stopped}
	rate := vegeta.Rate{Freq: 100, Per: time.Second}
	streams := []Stream{
		{Target: "web", URL: "http://" + srv.addr + "/", Conn: model.ConnNew, Pacer: rate},
		{Target: "web", URL: "http://" + srv.addr + "/", Conn: model.ConnReused, Pacer: rate},
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	stats, err := Attack(ctx, rec, streams, Options{Duration: time.Minute, MaxHits: 250, FlushEvery: 100 * time.Millisecond})
	if err != nil {
		t.Fatalf("Attack() = %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if rec.restartAt == 0 {
		t.Fatal("the server was never started again: too few requests failed while it was down")
	}

	var sent, recorded int64
	for _, st := range stats {
		sent += st.Sent
		recorded += st.Recorded
		if st.Planned == 0 || st.Sent == 0 {
			t.Errorf("stream %s/%s: planned %d, sent %d", st.Target, st.Conn, st.Planned, st.Sent)
		}
	}
	var inFile, ok, dropped, refused, okAfterRestart int64
	backends := map[string]int64{}
	err = model.EachSample(dir, func(s *model.Sample) error {
		inFile++
		if s.OK() {
			ok++
			backends[s.Backend]++
			if s.At > rec.restartAt {
				okAfterRestart++
			}
		} else {
			dropped++
		}
		if s.Error == ErrRefused {
			refused++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	served := srv.served.Load()
	t.Logf("sent %d, in file %d, server answered %d, dropped %d (%d refused)", sent, inFile, served, dropped, refused)
	if inFile != sent || recorded != sent {
		t.Errorf("sample file holds %d samples, stats say %d recorded, %d sent: samples were lost", inFile, recorded, sent)
	}
	if ok != served {
		t.Errorf("%d samples succeeded, the server answered %d requests", ok, served)
	}
	if dropped != sent-served {
		t.Errorf("%d samples dropped, the server left %d of %d requests unanswered", dropped, sent-served, sent)
	}
	if refused == 0 {
		t.Error("no request was refused while the server was down")
	}
	if okAfterRestart == 0 {
		t.Error("no request succeeded after the server came back")
	}
	if backends["sample-0"] != ok {
		t.Errorf("backends recorded %v, want every success from sample-0", backends)
	}
}

// TestAttackSaturation shows a stream whose attacker cannot keep up (a slow server, two
// workers) reported as behind its pacer.
func TestAttackSaturation(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(100 * time.Millisecond):
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	var mem model.Memory
	stats, err := Attack(t.Context(), &mem, []Stream{{Target: "slow", URL: srv.URL, Conn: model.ConnReused, Pacer: vegeta.Rate{Freq: 100, Per: time.Second}}},
		Options{Duration: time.Second, MaxWorkers: 2})
	if err != nil {
		t.Fatalf("Attack() = %v", err)
	}
	st := stats[0]
	t.Logf("planned %d, sent %d, recorded %d, max lag %v", st.Planned, st.Sent, st.Recorded, st.MaxLag)
	if st.Sent >= st.Planned {
		t.Errorf("sent %d of %d planned: the saturation was not seen", st.Sent, st.Planned)
	}
	if st.MaxLag < 100*time.Millisecond {
		t.Errorf("max lag %v, want at least one slow request's worth", st.MaxLag)
	}
	if st.Recorded != int64(len(mem.Samples)) || st.Recorded != st.Sent {
		t.Errorf("recorded %d, memory holds %d, sent %d", st.Recorded, len(mem.Samples), st.Sent)
	}
}

// failing records n samples, then fails; it counts flushes.
type failing struct {
	model.Memory
	n       int
	flushes int
}

func (f *failing) Sample(s *model.Sample) error {
	if len(f.Samples) >= f.n {
		return errors.New("disk full")
	}
	return f.Memory.Sample(s)
}

func (f *failing) Flush() error { f.flushes++; return nil }

func TestAttackRecorder(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	stream := []Stream{{Target: "web", URL: srv.URL, Conn: model.ConnReused, Pacer: vegeta.Rate{Freq: 200, Per: time.Second}}}
	tests := []struct {
		name        string
		n           int
		wantErr     string
		wantFlushes int
	}{
		{"flushes as it goes", 1 << 20, "", 3},
		{"stops when recording fails", 5, "disk full", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &failing{n: tt.n}
			began := time.Now()
			stats, err := Attack(t.Context(), rec, stream, Options{Duration: 500 * time.Millisecond, FlushEvery: 20 * time.Millisecond})
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("Attack() = %v, want error %q", err, tt.wantErr)
			}
			if rec.flushes < tt.wantFlushes {
				t.Errorf("flushed %d times, want at least %d", rec.flushes, tt.wantFlushes)
			}
			if got := stats[0].Recorded; got != int64(len(rec.Samples)) {
				t.Errorf("stats say %d recorded, recorder holds %d", got, len(rec.Samples))
			}
			if tt.wantErr != "" && time.Since(began) > 400*time.Millisecond+DefaultTimeout {
				t.Errorf("attack went on for %v after recording failed", time.Since(began))
			}
		})
	}
}

func TestAttackCancel(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	var mem model.Memory
	stats, err := Attack(ctx, &mem, []Stream{{Target: "web", URL: srv.URL, Conn: model.ConnNew, Pacer: vegeta.Rate{Freq: 50, Per: time.Second}}},
		Options{Duration: time.Hour})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Attack() = %v, want the context's error", err)
	}
	// Planned counts only up to the cancellation: about 15 hits, never the hour's 180000.
	// Sent may run a few hits past Planned while the cancellation reaches the workers.
	if st := stats[0]; st.Planned > 50 || st.Sent > 50 || st.Recorded != st.Sent {
		t.Errorf("stats after cancel = %+v", st)
	}
}
