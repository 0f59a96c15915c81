package world

import (
	"strconv"
	"unsafe"
)

// A run names its pods and machines by counters (web-3, <cluster>-md-0-2) and its records'
// messages by those names, so the runs of a sweep make the same strings over and over. A world
// keeps the ones it made for the worlds after it (Release) and hands them out again: a string
// never changes, so the records share them.

// nameKey is the parts a kept string was made of, each by where its bytes are and how many
// (the strings are the same from run to run: names kept here, and the scenario's); n is -1 for
// a string without a number. Hashing and comparing the key reads no string's bytes. A part
// with the same bytes elsewhere makes another key, and the same string again: that only
// costs room.
type nameKey struct {
	at  [4]unsafe.Pointer
	len [4]int32
	n   int
}

func keyOf(n int, parts ...string) nameKey {
	k := nameKey{n: n}
	if len(parts) > len(k.at) {
		panic("world: a kept string of more than 4 parts")
	}
	for i, p := range parts {
		k.at[i], k.len[i] = unsafe.Pointer(unsafe.StringData(p)), int32(len(p))
	}
	return k
}

// maxNames bounds the strings a world keeps: past it, they are forgotten and made anew. A
// cluster of more than largePods pods keeps none: its names are many and made once each, and
// keeping them cost more than it saved.
const (
	maxNames  = 1 << 14
	largePods = 2500
)

// Text returns the parts (at most 4) joined, made once for the parts.
func (c *World) Text(parts ...string) string {
	k := keyOf(-1, parts...)
	if s, ok := c.names[k]; ok {
		return s
	}
	var p [4]string
	copy(p[:], parts)
	return c.keepName(k, p[0]+p[1]+p[2]+p[3])
}

// Numbered returns a-n, or a-b-n when b is not empty, made once for the parts.
func (c *World) Numbered(a, b string, n int) string {
	k := keyOf(n, a, b)
	if s, ok := c.names[k]; ok {
		return s
	}
	s := a + "-" + strconv.Itoa(n)
	if b != "" {
		s = a + "-" + b + "-" + strconv.Itoa(n)
	}
	return c.keepName(k, s)
}

func (c *World) keepName(k nameKey, s string) string {
	if c.large {
		return s
	}
	if c.names == nil || len(c.names) >= maxNames {
		c.names = make(map[nameKey]string)
	}
	c.names[k] = s
	return s
}
