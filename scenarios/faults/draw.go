package faults

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/zdt-dev/zdt/model"
)

// drawStream keeps the fault schedule's random draws apart from the simulator's own, so that a
// schedule written to a scenario file replays exactly under the same seed.
const drawStream = 0xfa17_5eed

// MaxDrawn is the most faults Random draws for one seed.
const MaxDrawn = 3

// DefaultMaxOffset is the latest offset into its phase Random draws for a fault when the
// phase's length is unknown; offsets are multiples of offsetStep.
const (
	DefaultMaxOffset = 240 * time.Second
	offsetStep       = 5 * time.Second
)

// Random draws a fault schedule of one to MaxDrawn faults from a seed, as zdt sweep --faults
// random does: for each slot, the kind, then its phase (control-plane, workers or a pool), its
// offset, duration and the kind's own fields. The same seed gives the same schedule.
//
// Draws are keyed by the kinds' names, not by their place in a list: a slot's kind is the one
// whose name hashes highest with the seed and the slot (rendezvous hashing), and its fields come
// from a random stream of that slot and kind alone. Adding a kind therefore changes only the
// slots the new kind wins; every other fault of every seed stays as it was.
func Random(seed int64, c DrawContext) []Fault {
	slots := rand.New(rand.NewPCG(uint64(seed), drawStream))
	n := 1 + slots.IntN(MaxDrawn)
	phases := []model.PhaseName{model.PhaseControlPlane, model.PhaseWorkers}
	for _, p := range c.Pools {
		phases = append(phases, model.PoolPhase(p))
	}
	out := make([]Fault, 0, n)
	for slot := 0; slot < n; slot++ {
		d := winner(seed, slot)
		if d == nil {
			break
		}
		r := rand.New(rand.NewPCG(uint64(seed), key(seed, slot, d.Kind)))
		phase := phases[r.IntN(len(phases))]
		// Offsets fall inside the phase when its length is known, so that the fault happens
		// while the phase runs rather than after the run ended.
		steps := int(DefaultMaxOffset / offsetStep)
		if l := c.Phases[phase].Length; l > 0 {
			steps = int(l / offsetStep)
		}
		f := Fault{
			Name: fmt.Sprintf("%s-%d", d.Kind, slot),
			Kind: d.Kind,
			At: Time{
				Phase: phase,
				After: metav1.Duration{Duration: time.Duration(r.IntN(steps+1)) * offsetStep},
			},
			Duration: dur(time.Duration(2+r.IntN(35)) * 5 * time.Second),
			Target:   Target{Count: ptr(int32(1))},
		}
		if d.Instant {
			f.Duration = dur(0)
		}
		if d.Draw != nil {
			d.Draw(r, c, &f)
		}
		out = append(out, f)
	}
	return out
}

// winner is the kind whose key for the seed and slot is highest.
func winner(seed int64, slot int) *Descriptor {
	var best *Descriptor
	var bestKey uint64
	for _, d := range sorted() {
		if k := key(seed, slot, d.Kind); best == nil || k > bestKey {
			best, bestKey = d, k
		}
	}
	return best
}

// key hashes a seed, a slot and a kind's name (FNV-1a, 64 bits).
func key(seed int64, slot int, k Kind) uint64 {
	h := fnv.New64a()
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], uint64(seed))
	binary.LittleEndian.PutUint64(b[8:], uint64(slot))
	h.Write(b[:])
	h.Write([]byte(k))
	return h.Sum64()
}

func ptr[T any](v T) *T { return &v }

// pick returns one of names at random, or "" when there is none.
func pick(r *rand.Rand, names []string) string {
	if len(names) == 0 {
		return ""
	}
	return names[r.IntN(len(names))]
}
