package world

import "strconv"

// A run names its pods and machines by counters (web-3, <cluster>-md-0-2) and its records'
// messages by those names, so the runs of a sweep make the same strings over and over. A world
// keeps the ones it made for the worlds after it (Release) and hands them out again: a string
// never changes, so the records share them.

// nameKey is the parts a kept string was made of; n is -1 for a string without a number.
type nameKey struct {
	parts [4]string
	n     int
}

// maxNames bounds the strings a world keeps: past it, they are forgotten and made anew. A
// cluster of more than namedPods pods keeps none: its names are many and made once each, and
// keeping them cost more than it saved.
const (
	maxNames  = 1 << 14
	namedPods = 2500
)

// Text returns the parts (at most 4) joined, made once for the parts.
func (c *World) Text(parts ...string) string {
	k := nameKey{n: -1}
	if copy(k.parts[:], parts) < len(parts) {
		panic("world.Text: more than 4 parts")
	}
	if s, ok := c.names[k]; ok {
		return s
	}
	return c.keepName(k, k.parts[0]+k.parts[1]+k.parts[2]+k.parts[3])
}

// Numbered returns a-n, or a-b-n when b is not empty, made once for the parts.
func (c *World) Numbered(a, b string, n int) string {
	k := nameKey{parts: [4]string{a, b}, n: n}
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
	if c.unnamed {
		return s
	}
	if c.names == nil || len(c.names) >= maxNames {
		c.names = make(map[nameKey]string)
	}
	c.names[k] = s
	return s
}
