package isolation

import (
	"os"
	"syscall"
	"testing"
)

// As root every thread of the process gets LoadNice; otherwise RaisePriority says why not.
func TestRaisePriority(t *testing.T) {
	err := RaisePriority()
	if os.Geteuid() != 0 {
		if err == nil {
			t.Skip("not root, yet the priority could be raised (CAP_SYS_NICE)")
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	// getpriority returns 20-nice for the calling thread.
	if p, err := syscall.Getpriority(syscall.PRIO_PROCESS, 0); err != nil || 20-p != LoadNice {
		t.Errorf("nice %d (%v), want %d", 20-p, err, LoadNice)
	}
	_ = syscall.Setpriority(syscall.PRIO_PROCESS, 0, 0)
}
