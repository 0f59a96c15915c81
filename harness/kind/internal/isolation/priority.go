package isolation

import (
	"fmt"
	"os"
	"strconv"
	"syscall"
)

// LoadNice is the scheduling priority zdt gives itself on a kind run: on a 2-core machine the
// node containers (kubelets, containerd, etcd, the API servers) compete with the load
// generator and the prober, and a load stream that falls behind its schedule leaves gaps a
// disruption could hide in. The cluster still gets every cycle zdt does not use.
const LoadNice = -10

// RaisePriority sets every thread of the process to LoadNice. Linux keeps a nice value per
// thread and a new thread takes its creator's, so the threads the Go runtime starts later
// inherit it. It needs root (CAP_SYS_NICE); without it the run goes on at the usual priority.
func RaisePriority() error {
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return fmt.Errorf("scheduling priority: %w", err)
	}
	for _, t := range tasks {
		tid, err := strconv.Atoi(t.Name())
		if err != nil {
			continue
		}
		if err := syscall.Setpriority(syscall.PRIO_PROCESS, tid, LoadNice); err != nil {
			return fmt.Errorf("scheduling priority nice %d: %w", LoadNice, err)
		}
	}
	return nil
}
