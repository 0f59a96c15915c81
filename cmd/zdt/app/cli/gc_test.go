package cli

import (
	"os"
	"testing"
)

func TestMemTotal(t *testing.T) {
	if _, err := os.Stat("/proc/meminfo"); err != nil {
		t.Skip("no /proc/meminfo here")
	}
	// Any machine that runs the tests has more than 64 MiB and less than 64 TiB.
	if m := memTotal(); m < 64<<20 || m > 64<<40 {
		t.Fatalf("memTotal() = %d bytes", m)
	}
}
