// Package latency keeps the latencies of a load stream's requests, weighted by count, so that
// their mean, maximum and percentiles need no per-request memory; a sample that carries a
// log-normal distribution (the simulator's) is spread over it only when percentiles are read.
package latency

import (
	"math"
	"slices"
	"sync"
	"time"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"
)

// Latency is a latency distribution's figures, in milliseconds.
type Latency struct {
	P50  float64 `json:"p50Ms"`
	P90  float64 `json:"p90Ms"`
	P99  float64 `json:"p99Ms"`
	Max  float64 `json:"maxMs"`
	Mean float64 `json:"meanMs"`
}

// Hist keeps latencies rounded to three significant digits, weighted by request count, so
// that percentiles need no per-request memory.
type Hist struct {
	weights map[int64]float64 // rounded latency in microseconds -> requests
	sum     float64           // exact sum of latencies in milliseconds
	n       float64
	max     time.Duration
	last    run[int64] // the latest key's weight, until another key comes
	// dists are the requests of samples that carry a latency distribution (LatencySigma),
	// spread over it only when percentiles are read.
	dists    map[dist]float64
	lastDist run[dist]
}

// run sums the weight of the latest key until another key comes, then adds it to a map:
// samples of one backend mostly repeat their latency. The weights are whole numbers, so the
// sums are the same either way.
type run[K comparable] struct {
	key  K
	n    float64
	have bool
}

func (r *run[K]) add(k K, n float64, m *map[K]float64) {
	if r.have && r.key == k {
		r.n += n
		return
	}
	r.flush(m)
	r.key, r.n, r.have = k, n, true
}

// flush adds the latest key's weight to m.
func (r *run[K]) flush(m *map[K]float64) {
	if !r.have {
		return
	}
	if *m == nil {
		*m = map[K]float64{}
	}
	(*m)[r.key] += r.n
	r.have = false
}

// dist is a log-normal latency distribution: its mean and the sigma of its logarithm.
type dist struct {
	mean  time.Duration
	sigma float64
}

// distPoints is how many quantiles of a latency distribution stand for its requests.
const distPoints = 1000

// AddDist adds n requests whose latencies follow a log-normal of mean d and log-sigma sigma.
func (h *Hist) AddDist(d time.Duration, sigma float64, n int64) {
	if sigma <= 0 || d <= 0 {
		h.add(d, n)
		return
	}
	h.lastDist.add(dist{d, sigma}, float64(n), &h.dists)
	h.sum += ms(d) * float64(n)
	h.n += float64(n)
}

// distZ holds the standard normal quantiles of the distPoints points a distribution is spread
// over: every log-normal's points are exp(mu + sigma*z), as distuv.LogNormal.Quantile gives them.
var distZ = sync.OnceValue(func() *[distPoints]float64 {
	var z [distPoints]float64
	for i := range z {
		z[i] = distuv.UnitNormal.Quantile((float64(i) + 0.5) / distPoints)
	}
	return &z
})

// spreadDists moves the distributions' requests into weights, each over distPoints quantiles,
// and raises max to the quantile the slowest of its requests is expected at.
func (h *Hist) spreadDists() {
	h.flush()
	if len(h.dists) == 0 {
		return
	}
	if h.weights == nil {
		h.weights = map[int64]float64{}
	}
	z := distZ()
	for ld, w := range h.dists {
		ln := ld.logNormal()
		// The points' keys never decrease: a run of equal keys is summed before it is stored,
		// in the order the map would have summed it.
		each := w / distPoints
		key, acc := int64(-1), 0.0
		for i := range z {
			k := round3(int64(math.Exp(ln.Mu+ln.Sigma*z[i]) * 1e6))
			if k != key {
				if key >= 0 {
					h.weights[key] = acc
				}
				key, acc = k, h.weights[k]
			}
			acc += each
		}
		h.weights[key] = acc
		h.raiseMax(ld, w)
	}
	clear(h.dists)
}

// logNormal is the distribution of ld's latencies, in seconds.
func (ld dist) logNormal() distuv.LogNormal {
	return distuv.LogNormal{Mu: math.Log(ld.mean.Seconds()) - ld.sigma*ld.sigma/2, Sigma: ld.sigma}
}

// raiseMax raises max to the quantile the slowest of w requests of ld is expected at.
func (h *Hist) raiseMax(ld dist, w float64) {
	h.max = max(h.max, time.Duration(ld.logNormal().Quantile(1-1/(w+1))*float64(time.Second)))
}

// Reset returns an empty Hist that keeps h's maps, emptied, for another run.
func (h *Hist) Reset() Hist {
	clear(h.weights)
	clear(h.dists)
	return Hist{weights: h.weights, dists: h.dists}
}

func (h *Hist) add(d time.Duration, n int64) {
	h.last.add(round3(d.Microseconds()), float64(n), &h.weights)
	h.sum += ms(d) * float64(n)
	h.n += float64(n)
	h.max = max(h.max, d)
}

// flush adds the latest key's and distribution's weights to their maps.
func (h *Hist) flush() {
	h.last.flush(&h.weights)
	h.lastDist.flush(&h.dists)
}

// Merge adds o's requests to h.
func (h *Hist) Merge(o *Hist) {
	o.flush()
	for k, w := range o.dists {
		if h.dists == nil {
			h.dists = map[dist]float64{}
		}
		h.dists[k] += w
	}
	for k, w := range o.weights {
		if h.weights == nil {
			h.weights = map[int64]float64{}
		}
		h.weights[k] += w
	}
	h.sum += o.sum
	h.n += o.n
	h.max = max(h.max, o.max)
}

// round3 keeps three significant digits of v.
func round3(v int64) int64 {
	p := int64(1)
	for v >= 1000 {
		v /= 10
		p *= 10
	}
	return v * p
}

// Percentiles is the latency of the requests added, with its percentiles.
func (h *Hist) Percentiles() Latency {
	if h.n == 0 {
		return Latency{}
	}
	h.spreadDists()
	h.flush()
	keys := make([]int64, 0, len(h.weights))
	for k := range h.weights {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	x := make([]float64, len(keys))
	w := make([]float64, len(keys))
	for i, k := range keys {
		x[i] = float64(k) / 1000
		w[i] = h.weights[k]
	}
	q := func(p float64) float64 { return Round(stat.Quantile(p, stat.Empirical, x, w), 3) }
	return Latency{P50: q(0.5), P90: q(0.9), P99: q(0.99), Max: Round(ms(h.max), 3), Mean: Round(h.sum/h.n, 3)}
}

// Round rounds v to digits decimals.
func Round(v float64, digits int) float64 {
	p := 0.0
	if digits >= 0 && digits < len(pow10) {
		p = pow10[digits]
	} else {
		p = math.Pow(10, float64(digits))
	}
	return math.Round(v*p) / p
}

// pow10 holds the powers of ten Round uses, as math.Pow gives them (exactly: each is a
// whole number below 2^53).
var pow10 = [...]float64{1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
