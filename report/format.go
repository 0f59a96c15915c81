package report

import (
	"fmt"
	"time"

	"github.com/zdt-dev/zdt/report/measure"
)

// At renders an offset from the start of the run, e.g. "t+6m2.5s".
func At(d time.Duration) string { return "t+" + d.Round(100*time.Millisecond).String() }

// Dur renders seconds as report.json holds them as a duration, e.g. "5m40s".
func Dur(s float64) string { return measure.Duration(s).Round(100 * time.Millisecond).String() }

// Percent renders a ratio as a percentage, e.g. "0.125%".
func Percent(r float64) string { return fmt.Sprintf("%.3f%%", 100*r) }

// after renders how long after an event something happened.
func after(d time.Duration) string {
	switch {
	case d < 0:
		return offsetDelta(-d) + " before"
	case d < 100*time.Millisecond:
		return "right after"
	default:
		return offsetDelta(d) + " after"
	}
}

// offsetDelta renders a short delay, e.g. "0.4s".
func offsetDelta(d time.Duration) string { return d.Round(100 * time.Millisecond).String() }
