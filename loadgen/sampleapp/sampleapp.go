package sampleapp

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"time"
)

// Mode is what the app does at SIGTERM.
type Mode string

// The shutdown behaviours of a scenario's workloads.
const (
	// Drain keeps serving, new connections included, for DrainTime (with /readyz failing), then
	// shuts the server down gracefully.
	Drain Mode = "Drain"
	// Graceful shuts the server down at once, gracefully: it stops listening, finishes the
	// requests in flight and closes idle kept-alive connections (http.Server.Shutdown).
	Graceful Mode = "Graceful"
	// Exit closes the server at once: requests in flight are cut.
	Exit Mode = "Exit"
)

// BackendHeader names the pod that answered; zdt's attacker records it in Sample.Backend.
const BackendHeader = "X-Backend"

// Config is the app's configuration, from flags or environment variables.
type Config struct {
	// Addr is the listen address (flag --listen, env LISTEN_ADDR, default :8080).
	Addr string
	// Name is the pod name put in answers (flag --name, env POD_NAME, default the hostname).
	Name string
	// StartupDelay is how long the app waits before it listens (flag --startup-delay, env
	// STARTUP_DELAY).
	StartupDelay time.Duration
	// OnSigterm is Graceful, Drain or Exit (flag --on-sigterm, env ON_SIGTERM, default
	// Graceful).
	OnSigterm Mode
	// DrainTime is how long a draining app keeps serving after SIGTERM (flag --drain-time, env
	// DRAIN_TIME, default 5s).
	DrainTime time.Duration
	// ShutdownTimeout bounds http.Server.Shutdown after draining (flag --shutdown-timeout, env
	// SHUTDOWN_TIMEOUT, default 10s).
	ShutdownTimeout time.Duration
	// SlowStartFile, when it names a file holding a duration (such as "60s"), adds that much to
	// StartupDelay (flag --slow-start-file, env SLOW_START_FILE): zdt's SlowReadiness fault on
	// kind writes it, from a ConfigMap, for the pods started while the fault lasts.
	SlowStartFile string
	// Arrived, when set, is called as each request to / arrives (before any delay it asks
	// for): a test knows then that the request is in flight.
	Arrived func()
}

// ParseConfig reads the configuration from args, with defaults taken from getenv (flags win).
func ParseConfig(args []string, getenv func(string) string, errOut io.Writer) (Config, error) {
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	host, _ := os.Hostname()
	fs := flag.NewFlagSet("zdt-sampleapp", flag.ContinueOnError)
	fs.SetOutput(errOut)
	addr := fs.String("listen", env("LISTEN_ADDR", ":8080"), "listen address (env LISTEN_ADDR)")
	name := fs.String("name", env("POD_NAME", host), "pod name sent in the "+BackendHeader+" header (env POD_NAME)")
	startup := fs.String("startup-delay", env("STARTUP_DELAY", "0s"), "wait before listening (env STARTUP_DELAY)")
	mode := fs.String("on-sigterm", env("ON_SIGTERM", string(Graceful)), "Graceful, Drain or Exit (env ON_SIGTERM)")
	drain := fs.String("drain-time", env("DRAIN_TIME", "5s"), "how long to keep serving after SIGTERM when draining (env DRAIN_TIME)")
	slowFile := fs.String("slow-start-file", env("SLOW_START_FILE", ""), "file holding a duration added to the startup delay, when it exists (env SLOW_START_FILE)")
	shutdown := fs.String("shutdown-timeout", env("SHUTDOWN_TIMEOUT", "10s"), "bound on the graceful shutdown after draining (env SHUTDOWN_TIMEOUT)")
	if err := fs.Parse(args); err != nil {
		return Config{}, fmt.Errorf("sample app: %w", err)
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("sample app: unexpected arguments %q", fs.Args())
	}
	cfg := Config{Addr: *addr, Name: *name, OnSigterm: Mode(*mode), SlowStartFile: *slowFile}
	var errs []error
	for _, d := range []struct {
		flag string
		val  string
		dst  *time.Duration
	}{{"startup-delay", *startup, &cfg.StartupDelay}, {"drain-time", *drain, &cfg.DrainTime}, {"shutdown-timeout", *shutdown, &cfg.ShutdownTimeout}} {
		v, err := time.ParseDuration(d.val)
		if err != nil || v < 0 {
			errs = append(errs, fmt.Errorf("--%s %q: want a duration of at least 0 such as 5s", d.flag, d.val))
		}
		*d.dst = v
	}
	if cfg.OnSigterm != Drain && cfg.OnSigterm != Graceful && cfg.OnSigterm != Exit {
		errs = append(errs, fmt.Errorf("--on-sigterm %q: want Graceful, Drain or Exit", cfg.OnSigterm))
	}
	if err := errors.Join(errs...); err != nil {
		return Config{}, fmt.Errorf("sample app: %w", err)
	}
	return cfg, nil
}

// maxDelay bounds the delay a request may ask for.
const maxDelay = 10 * time.Second

// Handler serves / (200, the pod name, the X-Backend header; ?delay=300ms answers that much
// later, at most 10s) and /readyz (200 while ready, 503 once shutting down).
func Handler(name string, draining *atomic.Bool, arrived func()) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set(BackendHeader, name)
		if draining.Load() {
			http.Error(w, "draining", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if arrived != nil {
			arrived()
		}
		if d, err := time.ParseDuration(r.URL.Query().Get("delay")); err == nil && d > 0 {
			t := time.NewTimer(min(d, maxDelay))
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		w.Header().Set(BackendHeader, name)
		io.WriteString(w, name+"\n")
	})
	return mux
}

// Run starts the app and serves until term is done (SIGTERM), then shuts down as cfg says.
// It waits StartupDelay before listening, so that until then connections are refused and
// readiness probes fail; listening, if not nil, is told the address once the app serves.
// Every wait ends with term or its own bound (StartupDelay, DrainTime, ShutdownTimeout).
func Run(term context.Context, cfg Config, log io.Writer, listening func(net.Addr)) error {
	if cfg.SlowStartFile != "" {
		if b, err := os.ReadFile(cfg.SlowStartFile); err == nil {
			d, err := time.ParseDuration(strings.TrimSpace(string(b)))
			if err != nil || d < 0 {
				fmt.Fprintf(log, "%s: %s: %q is not a duration, ignored\n", cfg.Name, cfg.SlowStartFile, b)
			} else {
				fmt.Fprintf(log, "%s: slow start: %s more (%s)\n", cfg.Name, d, cfg.SlowStartFile)
				cfg.StartupDelay += d
			}
		}
	}
	if cfg.StartupDelay > 0 {
		fmt.Fprintf(log, "%s: starting in %s\n", cfg.Name, cfg.StartupDelay)
		t := time.NewTimer(cfg.StartupDelay)
		select {
		case <-t.C:
		case <-term.Done():
			t.Stop()
			return nil
		}
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("sample app: %w", err)
	}
	var draining atomic.Bool
	srv := &http.Server{Handler: Handler(cfg.Name, &draining, cfg.Arrived), ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	fmt.Fprintf(log, "%s: serving on %s\n", cfg.Name, ln.Addr())
	if listening != nil {
		listening(ln.Addr())
	}

	select {
	case err := <-served:
		return fmt.Errorf("sample app: %w", err)
	case <-term.Done():
	}
	if cfg.OnSigterm == Exit {
		fmt.Fprintf(log, "%s: SIGTERM, exiting at once\n", cfg.Name)
		err := srv.Close()
		<-served
		return err
	}
	draining.Store(true)
	if cfg.OnSigterm == Drain {
		fmt.Fprintf(log, "%s: SIGTERM, draining for %s\n", cfg.Name, cfg.DrainTime)
		t := time.NewTimer(cfg.DrainTime)
		select {
		case <-t.C:
		case err := <-served:
			t.Stop()
			return fmt.Errorf("sample app: %w", err)
		}
	} else {
		fmt.Fprintf(log, "%s: SIGTERM, shutting down gracefully\n", cfg.Name)
	}
	ctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	err = srv.Shutdown(ctx)
	<-served
	if err != nil {
		srv.Close()
		return fmt.Errorf("sample app: shutdown: %w", err)
	}
	fmt.Fprintf(log, "%s: drained, bye\n", cfg.Name)
	return nil
}
