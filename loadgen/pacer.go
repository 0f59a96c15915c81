package loadgen

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/zdt-dev/zdt/scenarios"
)

// Never is the SendTime of a hit that a pacer never sends (it stops first).
const Never = time.Duration(math.MaxInt64)

// Infinite is what Hits returns for a pacer without a rate limit (vegeta's zero pacers), which
// sends every hit at once.
const Infinite = uint64(math.MaxUint64)

// maxSteps bounds the stepping of pacers that have no closed form; a hit count past it is
// reported as maxSteps.
const maxSteps = 1 << 26

// Warm-up steps: SendTime of a linear or sine pacer starts from the closed-form estimate of an
// earlier hit and replays the pacer's Pace from there. Each step shrinks the estimate's error by
// a factor of about |rate'|/rate² (far below 1 at the rates zdt uses), so after the warm-up the
// replay lands on the very nanoseconds a replay from the start of the attack gives. Hits below
// exactStart are always replayed from the start.
const (
	warmLinear = 16
	warmSine   = 24
	exactStart = 64
)

// NewPacer builds the vegeta pacer of a load spec (rate per second, pacer type/params).
// A nil Pacer is constant; a sine pacer starts at its mean rate, rising.
func NewPacer(l *scenarios.Load) (vegeta.Pacer, error) {
	if l == nil || l.Rate == nil {
		return nil, errors.New("load pacer: rate is required")
	}
	rate, err := ratePerSecond(*l.Rate)
	if err != nil {
		return nil, fmt.Errorf("load pacer: %w", err)
	}
	kind := scenarios.PacerConstant
	if l.Pacer != nil && l.Pacer.Type != "" {
		kind = l.Pacer.Type
	}
	switch kind {
	case scenarios.PacerConstant:
		return rate, nil
	case scenarios.PacerLinear:
		if l.Pacer.Slope == nil {
			return nil, errors.New("load pacer: a linear pacer needs a slope")
		}
		s := *l.Pacer.Slope
		if math.IsNaN(s) || math.IsInf(s, 0) {
			return nil, fmt.Errorf("load pacer: slope %g is not a number", s)
		}
		return vegeta.LinearPacer{StartAt: rate, Slope: s}, nil
	case scenarios.PacerSine:
		if l.Pacer.Period == nil || l.Pacer.Period.Duration <= 0 {
			return nil, errors.New("load pacer: a sine pacer needs a period greater than 0")
		}
		amp := 0.0
		if l.Pacer.Amplitude != nil {
			amp = *l.Pacer.Amplitude
		}
		if amp < 0 || amp >= *l.Rate {
			return nil, fmt.Errorf("load pacer: sine amplitude %g must be at least 0 and below the rate %g", amp, *l.Rate)
		}
		a := vegeta.Rate{Per: time.Second}
		if amp > 0 {
			if a, err = ratePerSecond(amp); err != nil {
				return nil, fmt.Errorf("load pacer: amplitude: %w", err)
			}
		}
		return vegeta.SinePacer{Period: l.Pacer.Period.Duration, Mean: rate, Amp: a, StartAt: vegeta.MeanUp}, nil
	default:
		return nil, fmt.Errorf("load pacer: unknown pacer type %q (want constant, linear or sine)", kind)
	}
}

// ratePerSecond writes r requests per second as vegeta's Freq per Per, exactly when r has at
// most six decimals.
func ratePerSecond(r float64) (vegeta.Rate, error) {
	if !(r > 0) || math.IsInf(r, 0) || r > 1e9 {
		return vegeta.Rate{}, fmt.Errorf("rate %g must be above 0 and at most 1e9 requests per second", r)
	}
	per := time.Second
	for range 6 {
		if r == math.Trunc(r) {
			break
		}
		r *= 10
		per *= 10
	}
	freq := math.Round(r)
	if freq < 1 {
		return vegeta.Rate{}, fmt.Errorf("rate %s is below one request per %s", strconv.FormatFloat(r, 'g', -1, 64), per)
	}
	return vegeta.Rate{Freq: int(freq), Per: per}, nil
}

// Hits returns how many requests pacer p has sent by elapsed time since the attack began
// (vegeta's own counting: the number of hits whose planned send time is < elapsed).
//
// The planned send time of a hit is where an attacker that never falls behind sends it: the
// attack starts at 0 with no hit sent, and each hit goes out after the wait Pace returns for the
// time and count of the hit before. Hits and SendTime agree with that replay of Pace to the
// nanosecond. They are O(1) for vegeta's ConstantPacer, LinearPacer and SinePacer, and step Pace
// for other pacers (at most 2^26 steps). A LinearPacer with a negative slope counts no hit
// after its rate reaches 0. A pacer that stops after n hits gives at most n; a
// pacer without a rate limit gives Infinite for any elapsed > 0.
func Hits(p vegeta.Pacer, elapsed time.Duration) uint64 {
	if elapsed <= 0 {
		return 0
	}
	switch q := p.(type) {
	case vegeta.ConstantPacer:
		return constantHits(q, elapsed)
	case *vegeta.ConstantPacer:
		return constantHits(*q, elapsed)
	case vegeta.LinearPacer:
		return searchHits(linearModel(q), elapsed)
	case *vegeta.LinearPacer:
		return searchHits(linearModel(*q), elapsed)
	case vegeta.SinePacer:
		return searchHits(sineModel(q), elapsed)
	case *vegeta.SinePacer:
		return searchHits(sineModel(*q), elapsed)
	}
	n, _ := replay(p, 0, 0, elapsed, maxSteps)
	return n
}

// Counter is Hits for one pacer, with what does not change from call to call worked out
// once: the simulator counts hits at every change of the cluster.
type Counter struct {
	p               vegeta.Pacer
	interval, limit uint64
	// fast says that Hits is the closed form of a constant pacer that sends and stops
	// nowhere short of the limit; any other pacer goes through Hits.
	fast bool
}

// NewCounter returns the Counter of pacer p.
func NewCounter(p vegeta.Pacer) Counter {
	c := Counter{p: p}
	var unlimited, stops bool
	switch q := p.(type) {
	case vegeta.ConstantPacer:
		c.interval, c.limit, unlimited, stops = constantInterval(q)
		c.fast = !unlimited && !stops
	case *vegeta.ConstantPacer:
		c.interval, c.limit, unlimited, stops = constantInterval(*q)
		c.fast = !unlimited && !stops
	}
	return c
}

// Hits is Hits(p, elapsed).
func (c *Counter) Hits(elapsed time.Duration) uint64 {
	if c.fast && elapsed > 0 {
		return min(uint64(elapsed-1)/c.interval, c.limit)
	}
	return c.slow(elapsed)
}

// slow is Hits(c.p, elapsed), apart (and not inlined) so that Counter.Hits inlines.
//
//go:noinline
func (c *Counter) slow(elapsed time.Duration) uint64 { return Hits(c.p, elapsed) }

// SendTime returns the planned send time of hit number n (0-based) — the inverse of Hits:
// Hits(p, SendTime(p, n)) == n and Hits(p, SendTime(p, n)+1) == n+1. It returns Never for a hit
// the pacer never sends.
func SendTime(p vegeta.Pacer, n uint64) time.Duration {
	switch q := p.(type) {
	case vegeta.ConstantPacer:
		return constantSendTime(q, n)
	case *vegeta.ConstantPacer:
		return constantSendTime(*q, n)
	case vegeta.LinearPacer:
		return linearModel(q).sendTime(n)
	case *vegeta.LinearPacer:
		return linearModel(*q).sendTime(n)
	case vegeta.SinePacer:
		return sineModel(q).sendTime(n)
	case *vegeta.SinePacer:
		return sineModel(*q).sendTime(n)
	}
	return replaySendTime(p, 0, 0, n)
}

// step is one turn of vegeta's attack loop on a virtual clock that never falls behind: count
// hits have been sent and the last went out at t. It returns when the next hit goes out.
func step(p vegeta.Pacer, t time.Duration, count uint64) (time.Duration, bool) {
	wait, stop := p.Pace(t, count)
	if stop {
		return 0, false
	}
	if wait < 0 {
		// time.Sleep returns at once for a negative wait.
		wait = 0
	}
	return t + wait, true
}

// replay steps Pace from count hits sent at t (the count-th hit, if any, at t) and returns the
// number of hits planned before elapsed, having taken at most limit steps. The second result
// says whether the pacer stopped.
func replay(p vegeta.Pacer, t time.Duration, count uint64, elapsed time.Duration, limit int) (uint64, bool) {
	for range limit {
		next, ok := step(p, t, count)
		if !ok {
			return count, true
		}
		if next >= elapsed {
			return count, false
		}
		t, count = next, count+1
	}
	return count, false
}

// replaySendTime steps Pace from count hits sent at t up to hit n, at most maxSteps steps.
func replaySendTime(p vegeta.Pacer, t time.Duration, count, n uint64) time.Duration {
	if n < count {
		return Never
	}
	steps := n - count + 1
	if steps > maxSteps {
		return Never
	}
	for range steps {
		next, ok := step(p, t, count)
		if !ok {
			return Never
		}
		t, count = next, count+1
	}
	return t
}

// Constant pacer: hit n goes out at (n+1)·interval, interval = Per/Freq in whole nanoseconds,
// until (n+1)·interval would overflow.

func constantInterval(cp vegeta.ConstantPacer) (interval uint64, limit uint64, unlimited, stops bool) {
	switch {
	case cp.Per == 0 || cp.Freq == 0:
		return 0, 0, true, false
	case cp.Per < 0 || cp.Freq < 0:
		return 0, 0, false, true
	}
	interval = uint64(cp.Per.Nanoseconds() / int64(cp.Freq))
	if interval == 0 {
		// vegeta divides by this interval; such a pacer is not usable.
		return 0, 0, false, true
	}
	// Pace stops once math.MaxInt64/interval < hits: the last hit sent is number MaxInt64/interval.
	return interval, uint64(math.MaxInt64)/interval + 1, false, false
}

func constantHits(cp vegeta.ConstantPacer, elapsed time.Duration) uint64 {
	interval, limit, unlimited, stops := constantInterval(cp)
	switch {
	case unlimited:
		return Infinite
	case stops:
		return 0
	}
	// Hit n is before elapsed when (n+1)·interval < elapsed.
	return min(uint64(elapsed-1)/interval, limit)
}

func constantSendTime(cp vegeta.ConstantPacer, n uint64) time.Duration {
	interval, limit, unlimited, stops := constantInterval(cp)
	switch {
	case unlimited:
		return 0
	case stops || n >= limit:
		return Never
	}
	return time.Duration((n + 1) * interval)
}

// curve is a pacer whose hits follow a smooth curve H(t) that has an inverse: hit n ≥ first
// goes out close to H⁻¹(n+1).
type curve struct {
	p vegeta.Pacer
	// unlimited and stops describe degenerate pacers.
	unlimited, stops bool
	// warm is the number of Pace steps replayed from an estimate.
	warm uint64
	// horizon, when above 0, is where a falling rate reaches 0. Past it vegeta's LinearPacer
	// would send without waiting; zdt's attacker stops there, and Hits counts nothing after it.
	horizon time.Duration
	// hits is H(t); inverse returns t with H(t) = h, or false when H never reaches h.
	hits    func(t time.Duration) float64
	inverse func(h float64) (time.Duration, bool)
}

func linearModel(lp vegeta.LinearPacer) curve {
	m := curve{p: lp, warm: warmLinear}
	switch {
	case lp.StartAt.Per == 0 || lp.StartAt.Freq == 0:
		m.unlimited = true
		return m
	case lp.StartAt.Per < 0 || lp.StartAt.Freq < 0:
		m.stops = true
		return m
	}
	a := lp.Slope
	b := float64(lp.StartAt.Freq) / lp.StartAt.Per.Seconds()
	if a < 0 {
		m.horizon = time.Duration(math.Min(-b/a*1e9, math.MaxInt64/2))
	}
	m.hits = func(t time.Duration) float64 {
		x := t.Seconds()
		return a*x*x/2 + b*x
	}
	m.inverse = func(h float64) (time.Duration, bool) {
		// a·x²/2 + b·x = h, in the form that stays exact as a goes to 0.
		d := b*b + 2*a*h
		if d < 0 {
			return 0, false // a falling rate that reaches 0 before h hits
		}
		x := 2 * h / (b + math.Sqrt(d))
		if x < 0 || x*1e9 >= math.MaxInt64 {
			return 0, false
		}
		return time.Duration(x * 1e9), true
	}
	return m
}

func sineModel(sp vegeta.SinePacer) curve {
	m := curve{p: sp, warm: warmSine}
	mean := float64(sp.Mean.Freq) / float64(sp.Mean.Per)
	amp := float64(sp.Amp.Freq) / float64(sp.Amp.Per)
	if sp.Period <= 0 || !(mean > 0) || amp >= mean {
		m.stops = true // vegeta stops an invalid sine pacer at once
		return m
	}
	omega := 2 * math.Pi / float64(sp.Period)
	ampHits := amp * float64(sp.Period) / (2 * math.Pi)
	hits := func(t float64) float64 {
		return mean*t + ampHits*(math.Cos(sp.StartAt)-math.Cos(sp.StartAt+omega*t))
	}
	m.hits = func(t time.Duration) float64 {
		if t <= 0 {
			return 0
		}
		return hits(float64(t))
	}
	m.inverse = func(h float64) (time.Duration, bool) {
		// H is increasing with H' between mean-amp and mean+amp, and |H(t) - mean·t| ≤ 2·ampHits:
		// Newton's method inside that bracket, falling back to bisection.
		lo, hi := math.Max(0, (h-2*ampHits)/mean), (h+2*ampHits)/mean
		if hi >= math.MaxInt64 {
			return 0, false
		}
		t := h / mean
		for range 100 {
			f := hits(t) - h
			if math.Abs(f) < 1e-9 || hi-lo < 0.5 {
				break
			}
			if f > 0 {
				hi = t
			} else {
				lo = t
			}
			next := t - f/(mean+amp*math.Sin(sp.StartAt+omega*t))
			if !(next > lo && next < hi) {
				next = (lo + hi) / 2
			}
			t = next
		}
		return time.Duration(t), true
	}
	return m
}

// estimate returns an estimate of the send time of hit n, from the curve.
func (m curve) estimate(n uint64) (time.Duration, bool) {
	return m.inverse(float64(n) + 1)
}

func (m curve) sendTime(n uint64) time.Duration {
	switch {
	case m.unlimited:
		return 0
	case m.stops:
		return Never
	case n < exactStart:
		return replaySendTime(m.p, 0, 0, n)
	}
	from := n - m.warm
	t, ok := m.estimate(from)
	if !ok {
		return Never
	}
	return replaySendTime(m.p, t, from+1, n)
}

// searchHits finds the number of hits planned before elapsed: the first n whose send time is at
// or after elapsed, starting from the curve's estimate and moving a few hits either way.
func searchHits(m curve, elapsed time.Duration) uint64 {
	switch {
	case m.unlimited:
		return Infinite
	case m.stops:
		return 0
	}
	if m.horizon > 0 && elapsed > m.horizon {
		elapsed = m.horizon
	}
	if elapsed <= SendTime(m.p, exactStart) {
		n, _ := replay(m.p, 0, 0, elapsed, exactStart+2)
		return n
	}
	// About ceil(H(elapsed)) - 1 hits are planned before elapsed.
	h := m.hits(elapsed)
	if h >= float64(math.MaxUint64/2) {
		return Infinite
	}
	n := uint64(math.Max(math.Ceil(h)-1, exactStart))
	for range 1 << 10 {
		switch {
		case m.sendTime(n) >= elapsed:
			if n == exactStart || m.sendTime(n-1) < elapsed {
				return n
			}
			n--
		default:
			if m.sendTime(n+1) >= elapsed {
				return n + 1
			}
			n++
		}
	}
	return n
}
