package cli

import (
	"os"
	"runtime/debug"

	"github.com/zdt-dev/zdt/harness/calibrate"
)

// ManyRunsGC tunes the garbage collector for a command that runs the simulator many times
// (sweep, certify): each run allocates and drops what it made, and collecting eight times less
// often saves CPU. The heap may then grow to nine times what the runs in progress hold: tens of
// megabytes for a small scenario, gigabytes for a fleet run on each core. A soft memory limit of
// half the machine's memory keeps such a sweep from pushing the machine into swap (the collector
// then runs more often). GOGC and GOMEMLIMIT set in the environment win.
func ManyRunsGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(800)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		if total := calibrate.MemTotal(); total > 0 {
			debug.SetMemoryLimit(total / 2)
		}
	}
}
