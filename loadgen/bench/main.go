package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync/atomic"
	"text/tabwriter"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/zdt-dev/zdt/loadgen"
	"github.com/zdt-dev/zdt/loadgen/sampleapp"
	"github.com/zdt-dev/zdt/model"
)

// Each side runs as a child process, so that its user+sys CPU time (from the kernel's rusage of
// the child) counts only the load generator; the sample server runs in this process.

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var err error
	if len(os.Args) > 1 && os.Args[1] == "attack" {
		err = attackMain(ctx, os.Args[2:])
	} else {
		err = benchMain(ctx, os.Args[1:], os.Stdout)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "zdt-loadbench:", err)
		os.Exit(1)
	}
}

// attackMain is the zdt side: one stream through loadgen.Attack into a run directory.
func attackMain(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("zdt-loadbench attack", flag.ContinueOnError)
	url := fs.String("url", "", "target")
	rate := fs.Int("rate", 1000, "requests per second")
	duration := fs.Duration("duration", 10*time.Second, "attack duration")
	conn := fs.String("conn", "reused", "new or reused")
	out := fs.String("out", "", "run directory")
	if err := fs.Parse(args); err != nil {
		return err
	}
	w, err := model.Create(*out, nil)
	if err != nil {
		return err
	}
	stream := loadgen.Stream{Target: "bench", URL: *url, Conn: model.ConnMode(*conn), Pacer: vegeta.Rate{Freq: *rate, Per: time.Second}}
	stats, err := loadgen.Attack(ctx, w, []loadgen.Stream{stream}, loadgen.Options{Duration: *duration})
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	st := stats[0]
	fmt.Fprintf(os.Stderr, "planned %d sent %d recorded %d max lag %v\n", st.Planned, st.Sent, st.Recorded, st.MaxLag)
	return nil
}

// side is one measured load generator run.
type side struct {
	name     string
	conn     string
	requests int64
	ok       int64
	span     time.Duration
	duration time.Duration
	cpu      time.Duration
	wall     time.Duration
}

// rate is the achieved rate: requests sent over the attack's duration.
func (s side) rate() float64 {
	return float64(s.requests) / s.duration.Seconds()
}

func (s side) cpuPerRequest() time.Duration {
	if s.requests == 0 {
		return 0
	}
	return s.cpu / time.Duration(s.requests)
}

func benchMain(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("zdt-loadbench", flag.ContinueOnError)
	vegetaBin := fs.String("vegeta", "bin/vegeta", "the vegeta program (go install github.com/tsenart/vegeta/v12@v12.13.0)")
	rate := fs.Int("rate", 1000, "requests per second, both sides")
	duration := fs.Duration("duration", 10*time.Second, "length of each attack")
	rounds := fs.Int("rounds", 2, "rounds; each runs vegeta then zdt for every connection mode")
	conns := fs.String("conns", "reused,new", "connection modes to measure")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *rounds < 1 || *rounds > 20 {
		return errors.New("rounds must be between 1 and 20")
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "zdt-loadbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	var served atomic.Int64
	var ready atomic.Bool
	app := sampleapp.Handler("bench-0", &ready, nil)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		app.ServeHTTP(w, r)
	})}
	go srv.Serve(ln)
	defer srv.Close()
	url := "http://" + ln.Addr().String() + "/"

	fmt.Fprintf(out, "zdt-loadbench: %d req/s for %s per attack, %d round(s), server %s\n", *rate, *duration, *rounds, url)
	var all []side
	for round := range *rounds {
		for _, conn := range strings.Split(*conns, ",") {
			if err := ctx.Err(); err != nil {
				return err
			}
			dir := filepath.Join(tmp, fmt.Sprintf("r%d-%s", round, conn))
			v, err := runVegeta(ctx, *vegetaBin, url, conn, *rate, *duration, dir+"-vegeta.bin")
			if err != nil {
				return fmt.Errorf("vegeta: %w", err)
			}
			z, err := runZdt(ctx, self, url, conn, *rate, *duration, dir+"-zdt")
			if err != nil {
				return fmt.Errorf("zdt: %w", err)
			}
			all = append(all, v, z)
		}
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "side\tconn\trequests\tok\tachieved req/s\tsend span\tCPU total\tCPU/request\t")
	for _, s := range all {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%.1f\t%s\t%s\t%s\t\n", s.name, s.conn, s.requests, s.ok, s.rate(),
			s.span.Round(time.Millisecond), s.cpu.Round(time.Millisecond), s.cpuPerRequest())
	}
	tw.Flush()
	fmt.Fprintln(out)
	for _, conn := range strings.Split(*conns, ",") {
		var v, z side
		for _, s := range all {
			p := &v
			if s.name == "zdt" {
				p = &z
			}
			if s.conn == conn {
				p.requests += s.requests
				p.cpu += s.cpu
			}
		}
		overhead := 100 * (float64(z.cpuPerRequest())/float64(v.cpuPerRequest()) - 1)
		fmt.Fprintf(out, "%s connections: CPU/request vegeta %s, zdt %s: zdt overhead %+.1f%% (target <= 10%%)\n",
			conn, v.cpuPerRequest(), z.cpuPerRequest(), overhead)
	}
	fmt.Fprintf(out, "server answered %d requests in all\n", served.Load())
	return nil
}

// runVegeta runs `vegeta attack` at the rate and reads its results back.
func runVegeta(ctx context.Context, bin, url, conn string, rate int, d time.Duration, out string) (side, error) {
	cmd := exec.CommandContext(ctx, bin, "attack",
		fmt.Sprintf("-rate=%d/1s", rate), "-duration="+d.String(),
		fmt.Sprintf("-keepalive=%t", conn == "reused"), "-output="+out)
	cmd.Stdin = strings.NewReader("GET " + url + "\n")
	cmd.Stderr = os.Stderr
	s := side{name: "vegeta", conn: conn, duration: d}
	began := time.Now()
	if err := cmd.Run(); err != nil {
		return s, err
	}
	s.wall = time.Since(began)
	s.cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	f, err := os.Open(out)
	if err != nil {
		return s, err
	}
	defer f.Close()
	dec := vegeta.NewDecoder(f)
	var first, last time.Time
	for range 1 << 30 {
		var r vegeta.Result
		if err := dec.Decode(&r); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return s, fmt.Errorf("read results: %w", err)
		}
		s.requests++
		if r.Code == 200 && r.Error == "" {
			s.ok++
		}
		if first.IsZero() || r.Timestamp.Before(first) {
			first = r.Timestamp
		}
		if r.Timestamp.After(last) {
			last = r.Timestamp
		}
	}
	s.span = last.Sub(first)
	return s, nil
}

// runZdt runs this program's attack mode (loadgen.Attack into a run directory) and reads the
// sample file back.
func runZdt(ctx context.Context, self, url, conn string, rate int, d time.Duration, dir string) (side, error) {
	cmd := exec.CommandContext(ctx, self, "attack", "-url="+url, fmt.Sprintf("-rate=%d", rate),
		"-duration="+d.String(), "-conn="+conn, "-out="+dir)
	cmd.Stderr = os.Stderr
	s := side{name: "zdt", conn: conn, duration: d}
	began := time.Now()
	if err := cmd.Run(); err != nil {
		return s, err
	}
	s.wall = time.Since(began)
	s.cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	var first, last time.Duration = -1, 0
	err := model.EachSample(dir, func(smp *model.Sample) error {
		s.requests++
		if smp.OK() {
			s.ok++
		}
		if first < 0 || smp.At < first {
			first = smp.At
		}
		last = max(last, smp.At)
		return nil
	})
	s.span = last - first
	return s, err
}
