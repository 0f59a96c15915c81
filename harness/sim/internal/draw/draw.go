// Package draw draws bounded random integers from a PCG the way math/rand/v2's Rand does, without
// going through the rand.Source interface: the simulator's scheduler draws once per tied node,
// hundreds of times per pod in a large fleet. The algorithm is Rand.uint64n's (Lemire's
// multiply-and-reject; Rand's 32-bit variant gives the same numbers), so the draws and the
// state they leave in the PCG are the same as rand.New(src)'s.
package draw

import (
	"math/bits"
	"math/rand/v2"
)

// IntN is rand.New(src).IntN(n).
func IntN(src *rand.PCG, n int) int {
	if n <= 0 {
		panic("invalid argument to IntN")
	}
	return int(Uint64N(src, uint64(n)))
}

// Int64N is rand.New(src).Int64N(n).
func Int64N(src *rand.PCG, n int64) int64 {
	if n <= 0 {
		panic("invalid argument to Int64N")
	}
	return int64(Uint64N(src, uint64(n)))
}

// Uint64N is a number in [0, n), n > 0, as IntN and Int64N draw it. Its common case inlines.
func Uint64N(src *rand.PCG, n uint64) uint64 {
	x := src.Uint64()
	if n&(n-1) == 0 { // a power of two: a mask
		return x & (n - 1)
	}
	hi, lo := bits.Mul64(x, n)
	if lo < n {
		return Reject(src, n, hi, lo)
	}
	return hi
}

// Reject is Uint64N's rare case (lo < n), for Uint64N and a hot loop that writes its common
// case out: it rejects the draws that would bias the result.
func Reject(src *rand.PCG, n, hi, lo uint64) uint64 {
	thresh := -n % n
	for lo < thresh {
		hi, lo = bits.Mul64(src.Uint64(), n)
	}
	return hi
}
