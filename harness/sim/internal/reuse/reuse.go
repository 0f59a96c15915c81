// Package reuse is what the simulator keeps from one simulated cluster to the next (the pools
// of world.World and traffic.Load): lists emptied with their room kept, spare objects to make
// new ones in, and the strings made from names. A sweep's runs are alike, so what one run
// allocated fits the next.
package reuse

// Emptied is s with no element, its room kept and cleared of pointers.
func Emptied[T any](s []*T) []*T {
	clear(s)
	return s[:0]
}

// Zeroed is s with no element, its room kept and zeroed: a list that grows by reslicing its
// room (slices.Grow) finds zeros there, as in a new one.
func Zeroed(s []int) []int {
	clear(s[:cap(s)])
	return s[:0]
}

// Take takes the last of a list of spare objects, or a new one; the caller sets every field.
func Take[T any](spare *[]*T) *T {
	n := len(*spare)
	if n == 0 {
		return new(T)
	}
	v := (*spare)[n-1]
	(*spare)[n-1] = nil
	*spare = (*spare)[:n-1]
	return v
}
