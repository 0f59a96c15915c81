package loadgen

import (
	"math/rand/v2"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/zdt-dev/zdt/scenarios"
)

func ptr[T any](v T) *T { return &v }

func TestNewPacer(t *testing.T) {
	tests := []struct {
		name    string
		load    scenarios.Load
		want    vegeta.Pacer
		wantErr bool
	}{
		{"nil pacer is constant", scenarios.Load{Rate: ptr(1.0)}, vegeta.Rate{Freq: 1, Per: time.Second}, false},
		{"constant", scenarios.Load{Rate: ptr(50.0), Pacer: &scenarios.Pacer{Type: scenarios.PacerConstant}}, vegeta.Rate{Freq: 50, Per: time.Second}, false},
		{"fractional rate", scenarios.Load{Rate: ptr(2.5)}, vegeta.Rate{Freq: 25, Per: 10 * time.Second}, false},
		{"linear", scenarios.Load{Rate: ptr(10.0), Pacer: &scenarios.Pacer{Type: scenarios.PacerLinear, Slope: ptr(0.5)}},
			vegeta.LinearPacer{StartAt: vegeta.Rate{Freq: 10, Per: time.Second}, Slope: 0.5}, false},
		{"sine", scenarios.Load{Rate: ptr(50.0), Pacer: &scenarios.Pacer{Type: scenarios.PacerSine, Period: &metav1.Duration{Duration: time.Minute}, Amplitude: ptr(20.0)}},
			vegeta.SinePacer{Period: time.Minute, Mean: vegeta.Rate{Freq: 50, Per: time.Second}, Amp: vegeta.Rate{Freq: 20, Per: time.Second}}, false},
		{"no rate", scenarios.Load{}, nil, true},
		{"zero rate", scenarios.Load{Rate: ptr(0.0)}, nil, true},
		{"linear without slope", scenarios.Load{Rate: ptr(1.0), Pacer: &scenarios.Pacer{Type: scenarios.PacerLinear}}, nil, true},
		{"sine without period", scenarios.Load{Rate: ptr(5.0), Pacer: &scenarios.Pacer{Type: scenarios.PacerSine, Amplitude: ptr(1.0)}}, nil, true},
		{"sine amplitude above rate", scenarios.Load{Rate: ptr(5.0), Pacer: &scenarios.Pacer{Type: scenarios.PacerSine, Period: &metav1.Duration{Duration: time.Minute}, Amplitude: ptr(5.0)}}, nil, true},
		{"unknown type", scenarios.Load{Rate: ptr(5.0), Pacer: &scenarios.Pacer{Type: "poisson"}}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NewPacer(&tt.load)
			if (err != nil) != tt.wantErr {
				t.Fatalf("NewPacer() error = %v, want error %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("NewPacer() = %#v, want %#v", got, tt.want)
			}
		})
	}
}

// pacerCases are the pacers whose closed forms are checked against stepping Pace.
var pacerCases = []struct {
	name string
	p    vegeta.Pacer
	n    int // hits to compare
}{
	{"constant 50/s", vegeta.Rate{Freq: 50, Per: time.Second}, 20000},
	{"constant 1/s", vegeta.Rate{Freq: 1, Per: time.Second}, 2000},
	{"constant 7 per 3s", vegeta.Rate{Freq: 7, Per: 3 * time.Second}, 5000},
	{"constant 2.5/s", vegeta.Rate{Freq: 25, Per: 10 * time.Second}, 5000},
	{"constant 3000/s", vegeta.Rate{Freq: 3000, Per: time.Second}, 50000},
	{"linear 50/s +1/s²", vegeta.LinearPacer{StartAt: vegeta.Rate{Freq: 50, Per: time.Second}, Slope: 1}, 20000},
	{"linear 10/s +0.5/s²", vegeta.LinearPacer{StartAt: vegeta.Rate{Freq: 10, Per: time.Second}, Slope: 0.5}, 20000},
	{"linear 1/s +10/s²", vegeta.LinearPacer{StartAt: vegeta.Rate{Freq: 1, Per: time.Second}, Slope: 10}, 20000},
	{"linear 2.5/s +0.1/s²", vegeta.LinearPacer{StartAt: vegeta.Rate{Freq: 25, Per: 10 * time.Second}, Slope: 0.1}, 10000},
	{"linear flat 20/s", vegeta.LinearPacer{StartAt: vegeta.Rate{Freq: 20, Per: time.Second}, Slope: 0}, 10000},
	{"linear 200/s -1/s²", vegeta.LinearPacer{StartAt: vegeta.Rate{Freq: 200, Per: time.Second}, Slope: -1}, 15000},
	{"sine 50±20/s over 1m", vegeta.SinePacer{Period: time.Minute, Mean: vegeta.Rate{Freq: 50, Per: time.Second}, Amp: vegeta.Rate{Freq: 20, Per: time.Second}}, 20000},
	{"sine 10±9/s over 10s", vegeta.SinePacer{Period: 10 * time.Second, Mean: vegeta.Rate{Freq: 10, Per: time.Second}, Amp: vegeta.Rate{Freq: 9, Per: time.Second}}, 10000},
	{"sine 50±45/s over 5m from peak", vegeta.SinePacer{Period: 5 * time.Minute, Mean: vegeta.Rate{Freq: 50, Per: time.Second}, Amp: vegeta.Rate{Freq: 45, Per: time.Second}, StartAt: vegeta.Peak}, 20000},
	{"sine 2.5±1/s over 30s", vegeta.SinePacer{Period: 30 * time.Second, Mean: vegeta.Rate{Freq: 25, Per: 10 * time.Second}, Amp: vegeta.Rate{Freq: 1, Per: time.Second}}, 3000},
	{"sine without amplitude", vegeta.SinePacer{Period: time.Minute, Mean: vegeta.Rate{Freq: 40, Per: time.Second}, Amp: vegeta.Rate{Per: time.Second}}, 5000},
}

// stepped replays vegeta's attack loop on a virtual clock that never falls behind and returns
// the send time of each of the first n hits.
func stepped(t *testing.T, p vegeta.Pacer, n int) []time.Duration {
	t.Helper()
	out := make([]time.Duration, 0, n)
	var now time.Duration
	for count := uint64(0); len(out) < n; count++ {
		wait, stop := p.Pace(now, count)
		if stop {
			t.Fatalf("pacer stopped after %d hits", count)
		}
		now += max(wait, 0)
		out = append(out, now)
	}
	return out
}

func TestHitsAndSendTimeAgreeWithPace(t *testing.T) {
	for _, tc := range pacerCases {
		t.Run(tc.name, func(t *testing.T) {
			want := stepped(t, tc.p, tc.n)
			rng := rand.New(rand.NewPCG(1, uint64(len(tc.name))))
			counter := NewCounter(tc.p)
			bad := 0
			for n, at := range want {
				if got := SendTime(tc.p, uint64(n)); got != at {
					t.Errorf("SendTime(%d) = %v, stepping Pace gives %v", n, got, at)
					bad++
				}
				if got := Hits(tc.p, at); got != uint64(n) && (n == 0 || want[n-1] != at) {
					t.Errorf("Hits(%v) = %d, want %d", at, got, n)
					bad++
				}
				if got, want := counter.Hits(at), Hits(tc.p, at); got != want {
					t.Errorf("Counter.Hits(%v) = %d, Hits gives %d", at, got, want)
					bad++
				}
				if n+1 < len(want) && want[n+1] > at+1 {
					if got := Hits(tc.p, at+1); got != uint64(n+1) {
						t.Errorf("Hits(%v) = %d, want %d", at+1, got, n+1)
						bad++
					}
					// A random instant strictly between two hits.
					mid := at + 1 + time.Duration(rng.Int64N(int64(want[n+1]-at)))
					if got := Hits(tc.p, mid); got != uint64(n+1) && mid <= want[n+1] {
						t.Errorf("Hits(%v) = %d, want %d", mid, got, n+1)
						bad++
					}
				}
				if bad > 10 {
					t.Fatal("too many mismatches")
				}
			}
		})
	}
}

func TestHitsEdges(t *testing.T) {
	custom := threeHits{}
	tests := []struct {
		name     string
		p        vegeta.Pacer
		elapsed  time.Duration
		want     uint64
		n        uint64
		wantSend time.Duration
	}{
		{"before the attack", vegeta.Rate{Freq: 10, Per: time.Second}, 0, 0, 0, 100 * time.Millisecond},
		{"constant one second", vegeta.Rate{Freq: 10, Per: time.Second}, time.Second, 9, 9, time.Second},
		{"constant pointer", &vegeta.Rate{Freq: 10, Per: time.Second}, time.Second + 1, 10, 9, time.Second},
		{"unlimited constant", vegeta.Rate{}, time.Nanosecond, Infinite, 5, 0},
		{"negative constant stops", vegeta.Rate{Freq: -1, Per: time.Second}, time.Hour, 0, 0, Never},
		{"linear first hit at once", vegeta.LinearPacer{StartAt: vegeta.Rate{Freq: 10, Per: time.Second}, Slope: 1}, 1, 1, 0, 0},
		{"invalid sine stops", vegeta.SinePacer{Period: time.Minute, Mean: vegeta.Rate{Freq: 5, Per: time.Second}, Amp: vegeta.Rate{Freq: 6, Per: time.Second}}, time.Hour, 0, 0, Never},
		{"falling linear stops counting at rate 0", vegeta.LinearPacer{StartAt: vegeta.Rate{Freq: 10, Per: time.Second}, Slope: -1}, time.Hour, 50, 0, 0},
		{"custom pacer steps", custom, time.Hour, 3, 2, 3 * time.Second},
		{"custom pacer stops", custom, time.Hour, 3, 3, Never},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Hits(tt.p, tt.elapsed); got != tt.want {
				t.Errorf("Hits(%v) = %d, want %d", tt.elapsed, got, tt.want)
			}
			c := NewCounter(tt.p)
			if got := c.Hits(tt.elapsed); got != tt.want {
				t.Errorf("Counter.Hits(%v) = %d, want %d", tt.elapsed, got, tt.want)
			}
			if got := SendTime(tt.p, tt.n); got != tt.wantSend {
				t.Errorf("SendTime(%d) = %v, want %v", tt.n, got, tt.wantSend)
			}
		})
	}
}

// TestHitsLongRun checks the closed forms far into a run (a day at 50/s), where stepping from
// the start would be slow, against stepping from an exact send time a few hits earlier.
func TestHitsLongRun(t *testing.T) {
	for _, tc := range pacerCases {
		t.Run(tc.name, func(t *testing.T) {
			at := 20 * time.Hour
			if lp, ok := tc.p.(vegeta.LinearPacer); ok && lp.Slope < 0 {
				at = 150 * time.Second // before its rate reaches 0
			}
			n := Hits(tc.p, at)
			if n == 0 || n == Infinite {
				t.Fatalf("Hits(%v) = %d", at, n)
			}
			prev, next := SendTime(tc.p, n-1), SendTime(tc.p, n)
			if !(prev < at && next >= at) {
				t.Fatalf("hit %d at %v and hit %d at %v do not straddle %v", n-1, prev, n, next, at)
			}
			if got := replaySendTime(tc.p, prev, n, n); got != next {
				t.Errorf("stepping Pace from hit %d gives hit %d at %v, SendTime says %v", n-1, n, got, next)
			}
		})
	}
}

// threeHits is a pacer without a closed form: one hit a second, three in all.
type threeHits struct{}

func (threeHits) Pace(_ time.Duration, hits uint64) (time.Duration, bool) {
	if hits >= 3 {
		return 0, true
	}
	return time.Second, false
}

func (threeHits) Rate(time.Duration) float64 { return 1 }

func BenchmarkHits(b *testing.B) {
	for _, tc := range pacerCases {
		b.Run(tc.name, func(b *testing.B) {
			for i := range b.N {
				Hits(tc.p, time.Duration(i%3600)*time.Second+123456789)
			}
		})
	}
}
