package loadgen

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"sync"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/zdt-dev/zdt/model"
	"github.com/zdt-dev/zdt/scenarios"
)

// Defaults of Options.
const (
	DefaultTimeout    = 5 * time.Second
	DefaultFlushEvery = time.Second
	DefaultMaxWorkers = 1024
)

// Stream is one load stream: GET requests to URL at the rate of Pacer, each on a new connection
// or on kept-alive ones, recorded as samples of Target.
type Stream struct {
	// Target names the workload (or model.APITarget) in samples.
	Target string
	// URL is where requests go; see CheckTarget for the addresses zdt accepts.
	URL string
	// Conn is ConnNew (vegeta.KeepAlive(false): one connection per request) or ConnReused.
	Conn model.ConnMode
	// Pacer sets the rate; every stream of a scenario's load shares the same pacer.
	Pacer vegeta.Pacer
	// TLS configures https targets; InsecureSkipVerify is accepted only for loopback targets.
	TLS *tls.Config
	// Timeout bounds each request; 0 takes Options.Timeout.
	Timeout time.Duration
}

// Options bound and tune an attack.
type Options struct {
	// Duration bounds the attack in time; it must be above 0. Only hits planned before it are
	// sent.
	Duration time.Duration
	// MaxHits bounds each stream in count; 0 means the hits its pacer plans within Duration.
	MaxHits uint64
	// Timeout bounds each request (default DefaultTimeout). In-flight requests are awaited
	// after the attack stops, so Attack returns at most Timeout after Duration or cancellation.
	Timeout time.Duration
	// Allow lists the non-loopback addresses that may be targeted: containers zdt created.
	Allow []netip.Addr
	// Start is the instant sample offsets count from (the run's start); zero means when the
	// attack begins.
	Start time.Time
	// FlushEvery is how often samples are flushed to disk when the Recorder can Flush (as
	// model.Writer can), so that a crash loses at most that much (default DefaultFlushEvery).
	FlushEvery time.Duration
	// MaxWorkers bounds the concurrent requests of each stream (default DefaultMaxWorkers). An
	// attacker that reaches it falls behind its pacer, which StreamStats shows.
	MaxWorkers uint64
}

// Flusher is a Recorder that can push what it buffered to disk, as model.Writer does.
type Flusher interface {
	Flush() error
}

// LoadStreams builds the streams of a scenario's load: for each target, one stream per
// connection mode, all on the load's pacer. urls maps each target workload to its address.
func LoadStreams(l *scenarios.Load, urls map[string]string) ([]Stream, error) {
	p, err := NewPacer(l)
	if err != nil {
		return nil, err
	}
	var timeout time.Duration
	if l.Timeout != nil {
		timeout = l.Timeout.Duration
	}
	conns := l.Connections
	if len(conns) == 0 {
		conns = []string{string(model.ConnNew), string(model.ConnReused)}
	}
	var out []Stream
	for _, target := range l.Targets {
		u, ok := urls[target]
		if !ok {
			return nil, fmt.Errorf("load streams: no address for target %q", target)
		}
		for _, c := range conns {
			conn := model.ConnMode(c)
			if conn != model.ConnNew && conn != model.ConnReused {
				return nil, fmt.Errorf("load streams: unknown connection mode %q (want new or reused)", c)
			}
			out = append(out, Stream{Target: target, URL: u, Conn: conn, Pacer: p, Timeout: timeout})
		}
	}
	return out, nil
}

// result is one vegeta result and the stream that sent it.
type result struct {
	stream int
	r      *vegeta.Result
}

// running is the state of one stream during an attack.
type running struct {
	s        Stream
	attacker *vegeta.Attacker
	began    time.Time
	max      uint64
	stats    model.StreamStats
}

// Attack sends the streams' load until opts.Duration has passed or ctx is cancelled, and records
// one sample per request in rec, in the order results arrive. Samples are written by one
// goroutine and flushed every opts.FlushEvery when rec is a Flusher. It returns, per stream,
// how well the attacker kept up with its pacer: a stream with Sent below Planned, or a large
// MaxLag, was not measured at the rate the scenario asked for. Targets outside loopback and
// opts.Allow are refused before any request is sent.
func Attack(ctx context.Context, rec model.Recorder, streams []Stream, opts Options) ([]model.StreamStats, error) {
	if opts.Duration <= 0 {
		return nil, errors.New("attack: a duration above 0 is required")
	}
	if len(streams) == 0 {
		return nil, errors.New("attack: no streams")
	}
	opts = withDefaults(opts)
	for _, s := range streams {
		if err := checkStream(s, opts.Allow); err != nil {
			return nil, fmt.Errorf("attack: %w", err)
		}
	}

	run := make([]*running, len(streams))
	merged := make(chan result)
	var wg sync.WaitGroup
	defer wg.Wait()
	for i, s := range streams {
		r := &running{s: s, max: opts.MaxHits}
		if r.max == 0 {
			r.max = Hits(s.Pacer, opts.Duration)
		}
		r.stats = model.StreamStats{Target: s.Target, Conn: s.Conn}
		r.attacker = newAttacker(s, opts)
		tr := vegeta.NewStaticTargeter(vegeta.Target{Method: http.MethodGet, URL: s.URL})
		pacer := bounded{p: s.Pacer, max: r.max, until: opts.Duration}
		r.began = time.Now()
		results := r.attacker.Attack(tr, pacer, 0, "zdt/"+s.Target+"/"+string(s.Conn))
		run[i] = r
		wg.Add(1)
		go func() {
			defer wg.Done()
			for res := range results {
				merged <- result{i, res}
			}
		}()
	}
	start := opts.Start
	if start.IsZero() {
		start = run[0].began
	}
	go func() {
		wg.Wait()
		close(merged)
	}()

	var stoppedAt time.Time
	// stopAll stops every attacker and notes when: hits planned until then count as planned. An
	// attacker asleep in its pacer may still send one more.
	stopAll := func() {
		for _, r := range run {
			r.attacker.Stop()
		}
		if stoppedAt.IsZero() {
			stoppedAt = time.Now()
		}
	}
	flusher, _ := rec.(Flusher)
	flush := time.NewTicker(opts.FlushEvery)
	defer flush.Stop()
	var (
		errs []error
		done = ctx.Done()
	)
	// The loop ends when every attacker has closed its results: after Duration, after the
	// count bound, or once stopped, at most one request timeout later.
	for merged != nil {
		select {
		case res, ok := <-merged:
			if !ok {
				merged = nil
				continue
			}
			r := run[res.stream]
			r.stats.Sent++
			lag := res.r.Timestamp.Sub(r.began) - SendTime(r.s.Pacer, res.r.Seq)
			r.stats.MaxLag = max(r.stats.MaxLag, lag)
			if len(errs) > 0 {
				continue // recording failed: drain without recording
			}
			s := ToSample(res.r, r.s.Target, r.s.Conn, start)
			if err := rec.Sample(&s); err != nil {
				errs = append(errs, fmt.Errorf("attack: record sample: %w", err))
				stopAll()
				continue
			}
			r.stats.Recorded++
		case <-flush.C:
			if flusher != nil && len(errs) == 0 {
				if err := flusher.Flush(); err != nil {
					errs = append(errs, fmt.Errorf("attack: flush samples: %w", err))
					stopAll()
				}
			}
		case <-done:
			done = nil
			stopAll()
		}
	}
	if flusher != nil && len(errs) == 0 {
		if err := flusher.Flush(); err != nil {
			errs = append(errs, fmt.Errorf("attack: flush samples: %w", err))
		}
	}
	stats := make([]model.StreamStats, len(run))
	for i, r := range run {
		end := opts.Duration
		if !stoppedAt.IsZero() {
			end = min(end, stoppedAt.Sub(r.began))
		}
		r.stats.Planned = int64(min(Hits(r.s.Pacer, end), r.max))
		stats[i] = r.stats
	}
	if err := ctx.Err(); err != nil && len(errs) == 0 {
		return stats, fmt.Errorf("attack: %w", err)
	}
	return stats, errors.Join(errs...)
}

func withDefaults(o Options) Options {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.FlushEvery <= 0 {
		o.FlushEvery = DefaultFlushEvery
	}
	if o.MaxWorkers == 0 {
		o.MaxWorkers = DefaultMaxWorkers
	}
	return o
}

func checkStream(s Stream, allow []netip.Addr) error {
	if s.Pacer == nil {
		return fmt.Errorf("stream %s/%s: no pacer", s.Target, s.Conn)
	}
	if s.Conn != model.ConnNew && s.Conn != model.ConnReused {
		return fmt.Errorf("stream %s: unknown connection mode %q", s.Target, s.Conn)
	}
	if err := CheckTarget(s.URL, allow); err != nil {
		return err
	}
	if s.TLS != nil && s.TLS.InsecureSkipVerify && !isLoopback(s.URL) {
		return fmt.Errorf("target %q: skipping TLS verification is allowed only for loopback addresses", s.URL)
	}
	return nil
}

// noProxy keeps every request on its direct route, whatever HTTP_PROXY says.
func noProxy(*http.Request) (*url.URL, error) { return nil, nil }

func newAttacker(s Stream, o Options) *vegeta.Attacker {
	timeout := o.Timeout
	if s.Timeout > 0 {
		timeout = s.Timeout
	}
	opts := []func(*vegeta.Attacker){
		vegeta.Timeout(timeout),
		vegeta.KeepAlive(s.Conn == model.ConnReused),
		// A redirect could lead anywhere: record it as the answer instead.
		vegeta.Redirects(vegeta.NoFollow),
		vegeta.Proxy(noProxy),
		vegeta.MaxWorkers(o.MaxWorkers),
		// The body is read and discarded, never kept.
		vegeta.MaxBody(0),
	}
	if s.TLS != nil {
		opts = append(opts, vegeta.TLSConfig(s.TLS))
	}
	return vegeta.NewAttacker(opts...)
}

// bounded stops a pacer after max hits, before a hit planned at or after until, and when its
// rate falls to 0 (a falling linear pacer would otherwise send without pause).
type bounded struct {
	p     vegeta.Pacer
	max   uint64
	until time.Duration
}

// Pace implements vegeta.Pacer.
func (b bounded) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	if hits >= b.max {
		return 0, true
	}
	wait, stop := b.p.Pace(elapsed, hits)
	if stop || elapsed+max(wait, 0) >= b.until || !(b.p.Rate(elapsed) > 0) {
		return 0, true
	}
	return wait, false
}

// Rate implements vegeta.Pacer.
func (b bounded) Rate(elapsed time.Duration) float64 { return b.p.Rate(elapsed) }
