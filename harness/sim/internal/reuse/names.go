package reuse

import (
	"strconv"
	"unsafe"
)

// Names keeps strings made from names. A run names its pods and machines by counters (web-3,
// <cluster>-md-0-2) and its records' messages by those names, so the runs of a sweep make the
// same strings over and over; a world hands its Names to the next (world.World.Release). A
// string never changes, so the records share them. The zero Names keeps strings; Off makes it
// keep none (a large cluster, whose names are many and made once each: keeping them cost more
// than it saved).
type Names struct {
	kept map[nameKey]string
	Off  bool
}

// nameKey is the parts a kept string was made of, each by where its bytes are and how many
// (the strings are the same from run to run: names kept here, the scenario's, constants); n is
// -1 for a string without a number. Hashing and comparing the key reads no string's bytes. A
// part with the same bytes elsewhere makes another key, and the same string again: that only
// costs room.
type nameKey struct {
	at  [4]unsafe.Pointer
	len [4]int32
	n   int
}

func keyOf(n int, parts ...string) nameKey {
	k := nameKey{n: n}
	if len(parts) > len(k.at) {
		panic("reuse: a kept string of more than 4 parts")
	}
	for i, p := range parts {
		k.at[i], k.len[i] = unsafe.Pointer(unsafe.StringData(p)), int32(len(p))
	}
	return k
}

// maxNames bounds the strings kept: past it, they are forgotten and made anew.
const maxNames = 1 << 14

// Text returns the parts (at most 4) joined, made once for the parts.
func (ns *Names) Text(parts ...string) string {
	k := keyOf(-1, parts...)
	if s, ok := ns.kept[k]; ok {
		return s
	}
	var p [4]string
	copy(p[:], parts)
	return ns.keep(k, p[0]+p[1]+p[2]+p[3])
}

// Numbered returns a-n, or a-b-n when b is not empty, made once for the parts.
func (ns *Names) Numbered(a, b string, n int) string {
	k := keyOf(n, a, b)
	if s, ok := ns.kept[k]; ok {
		return s
	}
	s := a + "-" + strconv.Itoa(n)
	if b != "" {
		s = a + "-" + b + "-" + strconv.Itoa(n)
	}
	return ns.keep(k, s)
}

func (ns *Names) keep(k nameKey, s string) string {
	if ns.Off {
		return s
	}
	if ns.kept == nil || len(ns.kept) >= maxNames {
		ns.kept = make(map[nameKey]string)
	}
	ns.kept[k] = s
	return s
}
