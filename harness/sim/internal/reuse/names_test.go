package reuse

import (
	"testing"
	"unsafe"
)

// TestNamesAreMadeOnce: Text and Numbered give the parts joined, the same string again for the
// same parts, and keep at most maxNames strings, or none when Off.
func TestNamesAreMadeOnce(t *testing.T) {
	c := &Names{}
	for _, tc := range []struct{ got, want string }{
		{c.Text("endpoint of ", "web-1", " removed from service ", "web"), "endpoint of web-1 removed from service web"},
		{c.Text("web-1", " not ready"), "web-1 not ready"},
		{c.Text(), ""},
		{c.Numbered("web", "", 12), "web-12"},
		{c.Numbered("cluster", "md-0", 3), "cluster-md-0-3"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
	a, b := c.Text("web-1", " not ready"), c.Text("web-1", " not ready")
	if unsafe.StringData(a) != unsafe.StringData(b) {
		t.Error("the same parts made a second string")
	}
	for i := 0; i < 3*maxNames; i++ {
		c.Numbered("pod", "", i)
	}
	if len(c.kept) > maxNames {
		t.Errorf("%d strings kept, at most %d wanted", len(c.kept), maxNames)
	}
	off := &Names{Off: true}
	if s := off.Numbered("web", "", 3); s != "web-3" || len(off.kept) != 0 {
		t.Errorf("Off: %q made, %d strings kept; want web-3 and none", s, len(off.kept))
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("Text of 5 parts did not panic")
			}
		}()
		c.Text("a", "b", "c", "d", "e")
	}()
}
