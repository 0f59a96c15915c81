package world

import (
	"testing"
	"time"
)

func TestPathDelay(t *testing.T) {
	ms := time.Millisecond
	a, b, c := &Node{ExtraDelay: 250 * ms}, &Node{ExtraDelay: 250 * ms}, &Node{}
	cases := []struct {
		name    string
		e, p    *Node
		newConn bool
		want    time.Duration
	}{
		{"kept alive, through the pod's node", a, a, false, 250 * ms},
		{"kept alive, forwarded by another delayed node", a, b, false, 750 * ms},
		{"new, through the pod's node", a, a, true, 500 * ms},
		{"new, forwarded", a, b, true, 1500 * ms},
		{"forwarded by an undelayed node", c, a, false, 250 * ms},
		{"delayed entry, undelayed pod node", a, c, false, 500 * ms},
		{"nothing delayed", c, c, true, 0},
	}
	for _, tc := range cases {
		if got := PathDelay(tc.e, tc.p, tc.newConn); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
