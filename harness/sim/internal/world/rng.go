package world

import "math/bits"

// IntN is c.Rng.IntN(n), drawn from the PCG without going through the rand.Source interface:
// the scheduler draws once per tied node, hundreds of times per pod in a large fleet. It is
// math/rand/v2's algorithm (Lemire's multiply-and-reject, as Rand.uint64n has it; its 32-bit
// variant gives the same numbers), so the draws and the state they leave are the same.
func (c *World) IntN(n int) int {
	if n <= 0 {
		panic("invalid argument to IntN")
	}
	return int(c.uint64n(uint64(n)))
}

// Int64N is c.Rng.Int64N(n), as IntN is c.Rng.IntN.
func (c *World) Int64N(n int64) int64 {
	if n <= 0 {
		panic("invalid argument to Int64N")
	}
	return int64(c.uint64n(uint64(n)))
}

func (c *World) uint64n(n uint64) uint64 {
	if n&(n-1) == 0 { // a power of two: a mask
		return c.Src.Uint64() & (n - 1)
	}
	hi, lo := bits.Mul64(c.Src.Uint64(), n)
	if lo < n {
		return c.uint64nAgain(n, hi, lo)
	}
	return hi
}

// uint64nAgain is uint64n's rare case (lo < n), apart so that the common one inlines.
func (c *World) uint64nAgain(n, hi, lo uint64) uint64 {
	thresh := -n % n
	for lo < thresh {
		hi, lo = bits.Mul64(c.Src.Uint64(), n)
	}
	return hi
}
