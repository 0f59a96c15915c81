package cli

import (
	"bufio"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
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
		if total := memTotal(); total > 0 {
			debug.SetMemoryLimit(total / 2)
		}
	}
}

// memTotal is the machine's memory in bytes as /proc/meminfo says (Linux), 0 when unknown.
func memTotal() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// MemTotal:       24604308 kB
		if rest, ok := strings.CutPrefix(sc.Text(), "MemTotal:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				return 0
			}
			return kb << 10
		}
	}
	return 0
}
