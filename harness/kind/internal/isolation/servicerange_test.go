package isolation

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteServiceRangeDropIn(t *testing.T) {
	dir := t.TempDir()
	path, err := WriteServiceRangeDropIn(dir, "10.96.0.1/12")
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	// The range is masked, the rule only matches packets leaving through the node's Docker
	// network, both the node's own packets (OUTPUT) and its pods' (FORWARD) are covered, and the
	// shell's $c reaches the shell (systemd would substitute a single $).
	for _, want := range []string{
		"[Service]\n",
		"ExecStartPre=-/bin/sh -c 'for c in OUTPUT FORWARD; do ",
		"iptables -w 5 -C $$c -d 10.96.0.0/12 -o eth0 -m comment --comment zdt-service-range -j REJECT 2>/dev/null || iptables -w 5 -I $$c -d 10.96.0.0/12 -o eth0",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("drop-in lacks %q:\n%s", want, text)
		}
	}
	if filepath.Dir(path) != dir || !strings.Contains(filepath.Base(path), "10-96-0-0_12") {
		t.Errorf("path = %s", path)
	}
	// Written once: a second call leaves the same file, and another range gets its own file.
	again, err := WriteServiceRangeDropIn(dir, "10.96.0.0/12")
	if err != nil || again != path {
		t.Errorf("again = %s, %v; want %s", again, err, path)
	}
	other, err := WriteServiceRangeDropIn(dir, "10.128.0.0/12")
	if err != nil || other == path {
		t.Errorf("other range = %s, %v", other, err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("dir holds %d files, want 2 (no temporary files left)", len(entries))
	}
	// A relative directory gives an absolute path: Docker mounts only those.
	t.Chdir(dir)
	rel, err := WriteServiceRangeDropIn("sub", "10.96.0.0/12")
	if err != nil || !filepath.IsAbs(rel) || filepath.Dir(rel) != filepath.Join(dir, "sub") {
		t.Errorf("relative dir: %s, %v", rel, err)
	}
	for _, bad := range []string{"", "10.96.0.0", "fd00::/108", "10.96.0.0/40"} {
		if _, err := WriteServiceRangeDropIn(dir, bad); err == nil || !strings.Contains(err.Error(), "IPv4 CIDR") {
			t.Errorf("WriteServiceRangeDropIn(%q) = %v, want an error naming the form", bad, err)
		}
	}
}
