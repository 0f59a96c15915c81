package sampleapp

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		want    Config
		wantErr string
	}{
		{"defaults", nil, map[string]string{"POD_NAME": "web-1"},
			Config{Addr: ":8080", Name: "web-1", OnSigterm: Graceful, DrainTime: 5 * time.Second, ShutdownTimeout: 10 * time.Second}, ""},
		{"environment", nil, map[string]string{"POD_NAME": "web-2", "LISTEN_ADDR": "127.0.0.1:9000", "STARTUP_DELAY": "3s", "ON_SIGTERM": "Exit", "DRAIN_TIME": "1s", "SHUTDOWN_TIMEOUT": "2s"},
			Config{Addr: "127.0.0.1:9000", Name: "web-2", StartupDelay: 3 * time.Second, OnSigterm: Exit, DrainTime: time.Second, ShutdownTimeout: 2 * time.Second}, ""},
		{"flags win", []string{"--name", "flag-pod", "--drain-time", "7s", "--on-sigterm", "Drain"}, map[string]string{"POD_NAME": "env-pod", "ON_SIGTERM": "Exit"},
			Config{Addr: ":8080", Name: "flag-pod", OnSigterm: Drain, DrainTime: 7 * time.Second, ShutdownTimeout: 10 * time.Second}, ""},
		{"bad duration", []string{"--startup-delay", "soon"}, nil, Config{}, "--startup-delay"},
		{"negative duration", []string{"--drain-time", "-1s"}, nil, Config{}, "--drain-time"},
		{"bad mode", []string{"--on-sigterm", "Ignore"}, nil, Config{}, "want Graceful, Drain or Exit"},
		{"stray argument", []string{"extra"}, nil, Config{}, "unexpected arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseConfig(tt.args, func(k string) string { return tt.env[k] }, io.Discard)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseConfig() = %v, want an error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseConfig() = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// get fetches path on a new connection and returns the status code (0 on error), the backend
// header and the error.
func get(addr, path string) (int, string, error) {
	c := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Get("http://" + addr + path)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, resp.Header.Get(BackendHeader), nil
}

func TestRun(t *testing.T) {
	tests := []struct {
		name            string
		mode            Mode
		drain           time.Duration
		codeWhileTerm   int // answer to / just after SIGTERM; 0 means refused
		readyWhileTerm  int
		minShutdownTime time.Duration
	}{
		{"drain keeps serving", Drain, 400 * time.Millisecond, 200, 503, 400 * time.Millisecond},
		{"graceful refuses new connections at once", Graceful, 0, 0, 0, 0},
		{"exit refuses at once", Exit, 0, 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := Config{Addr: "127.0.0.1:0", Name: "web-0", StartupDelay: 50 * time.Millisecond, OnSigterm: tt.mode, DrainTime: tt.drain, ShutdownTimeout: time.Second}
			term, sigterm := context.WithCancel(t.Context())
			defer sigterm()
			addrs := make(chan string, 1)
			done := make(chan error, 1)
			go func() { done <- Run(term, cfg, io.Discard, func(a net.Addr) { addrs <- a.String() }) }()
			var addr string
			select {
			case addr = <-addrs:
			case err := <-done:
				t.Fatalf("Run() = %v before serving", err)
			case <-time.After(5 * time.Second):
				t.Fatal("app did not start")
			}
			for _, path := range []string{"/", "/readyz"} {
				code, backend, err := get(addr, path)
				if code != 200 || backend != "web-0" {
					t.Fatalf("GET %s = %d %q %v, want 200 from web-0", path, code, backend, err)
				}
			}

			sigterm()
			began := time.Now()
			if tt.mode != Drain {
				// Exit and Graceful close the listener before Run returns.
				if err := <-done; err != nil {
					t.Fatalf("Run() = %v", err)
				}
			}
			// A draining app fails its readiness from SIGTERM on: wait until it does (bounded).
			ready, _, _ := get(addr, "/readyz")
			for i := 0; tt.mode == Drain && ready == 200 && i < 1000; i++ {
				runtime.Gosched()
				ready, _, _ = get(addr, "/readyz")
			}
			code, _, _ := get(addr, "/")
			if code != tt.codeWhileTerm || ready != tt.readyWhileTerm {
				t.Errorf("after SIGTERM: / = %d, /readyz = %d; want %d, %d", code, ready, tt.codeWhileTerm, tt.readyWhileTerm)
			}
			if tt.mode == Drain {
				select {
				case err := <-done:
					if err != nil {
						t.Fatalf("Run() = %v", err)
					}
				case <-time.After(5 * time.Second):
					t.Fatal("app did not stop after draining")
				}
				if d := time.Since(began); d < tt.minShutdownTime {
					t.Errorf("app stopped %v after SIGTERM, before its drain time %v", d, tt.minShutdownTime)
				}
				if code, _, err := get(addr, "/"); err == nil {
					t.Errorf("after draining: / = %d, want the connection refused", code)
				}
			}
		})
	}
}

func TestRunStartupInterrupted(t *testing.T) {
	term, sigterm := context.WithCancel(t.Context())
	sigterm()
	listened := false
	err := Run(term, Config{Addr: "127.0.0.1:0", Name: "web-0", StartupDelay: time.Hour}, io.Discard, func(net.Addr) { listened = true })
	if err != nil || listened {
		t.Fatalf("Run() = %v, listened %v; want it to stop during its startup delay without listening", err, listened)
	}
}

// TestInFlightAtSigterm sends a slow request and SIGTERM at once: a Graceful app finishes it,
// an app that exits cuts it.
func TestInFlightAtSigterm(t *testing.T) {
	for _, tc := range []struct {
		mode   Mode
		wantOK bool
	}{{Graceful, true}, {Exit, false}} {
		t.Run(string(tc.mode), func(t *testing.T) {
			inFlight := make(chan struct{}, 1)
			cfg := Config{Addr: "127.0.0.1:0", Name: "web-0", OnSigterm: tc.mode, ShutdownTimeout: 5 * time.Second,
				Arrived: func() { inFlight <- struct{}{} }}
			term, sigterm := context.WithCancel(t.Context())
			defer sigterm()
			addrs := make(chan string, 1)
			done := make(chan error, 1)
			go func() { done <- Run(term, cfg, io.Discard, func(a net.Addr) { addrs <- a.String() }) }()
			addr := <-addrs
			got := make(chan int, 1)
			go func() {
				conn, err := net.Dial("tcp", addr)
				if err != nil {
					got <- 0
					return
				}
				defer conn.Close()
				fmt.Fprintf(conn, "GET /?delay=300ms HTTP/1.1\r\nHost: x\r\n\r\n")
				resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
				if err != nil {
					got <- 0
					return
				}
				resp.Body.Close()
				got <- resp.StatusCode
			}()
			<-inFlight
			sigterm()
			code := <-got
			if (code == 200) != tc.wantOK {
				t.Errorf("the request in flight at SIGTERM got %d, want success %v", code, tc.wantOK)
			}
			if err := <-done; err != nil {
				t.Fatalf("Run() = %v", err)
			}
		})
	}
}

// A pod started while zdt's SlowReadiness fault lasts finds a delay in its slow-start file and
// listens that much later; without the file it starts as usual.
func TestRunSlowStartFile(t *testing.T) {
	dir := t.TempDir()
	file := dir + "/slow-start-web"
	if err := writeFile(file, "1s\n"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		file string
		min  time.Duration
		max  time.Duration
	}{{file, time.Second, 10 * time.Second}, {dir + "/absent", 0, 900 * time.Millisecond}} {
		term, sigterm := context.WithCancel(t.Context())
		start := time.Now()
		var took time.Duration
		err := Run(term, Config{Addr: "127.0.0.1:0", Name: "web-0", SlowStartFile: tc.file, ShutdownTimeout: time.Second}, io.Discard,
			func(net.Addr) { took = time.Since(start); sigterm() })
		if err != nil {
			t.Fatal(err)
		}
		if took < tc.min || took > tc.max {
			t.Errorf("%s: listened after %v, want between %v and %v", tc.file, took, tc.min, tc.max)
		}
	}
}

func writeFile(name, content string) error { return os.WriteFile(name, []byte(content), 0o644) }
