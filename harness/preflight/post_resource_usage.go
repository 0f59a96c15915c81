package preflight

import (
	"fmt"
	"strings"

	"github.com/zdt-dev/zdt/model"
)

func init() {
	registerPost(PostCheck{Name: "resource-usage", Run: resourceUsage})
}

// Growth of resource use over the preflight baseline above which resourceUsage warns and fails.
const (
	usageWarnPercent = 20
	usageFailPercent = 50
)

// resourceUsage compares the cluster's CPU and memory use after the upgrade with the baseline
// taken in preflight: a new version that uses much more hides a regression.
func resourceUsage(in *PostInput) []model.CheckResult {
	before, after := in.Before.Usage, in.After.Usage
	type metric struct {
		name          string
		before, after int64
		format        func(int64) string
	}
	metrics := []metric{
		{"CPU", before.CPUMilli, after.CPUMilli, cpu},
		{"memory", before.MemoryBytes, after.MemoryBytes, mem},
	}
	status := model.CheckPass
	for _, m := range metrics {
		if m.before <= 0 {
			continue
		}
		switch growth := float64(m.after-m.before) * 100 / float64(m.before); {
		case growth > usageFailPercent:
			status = model.CheckFail
		case growth > usageWarnPercent && status == model.CheckPass:
			status = model.CheckWarn
		}
	}
	if status == model.CheckPass && in.Brief && (before.CPUMilli > 0 || before.MemoryBytes > 0) {
		return []model.CheckResult{{Status: status}}
	}
	var figures []string
	for _, m := range metrics {
		if m.before <= 0 {
			figures = append(figures, fmt.Sprintf("%s no baseline", m.name))
			continue
		}
		growth := float64(m.after-m.before) * 100 / float64(m.before)
		figures = append(figures, fmt.Sprintf("%s %s -> %s (%+.0f%%)", m.name, m.format(m.before), m.format(m.after), growth))
	}
	if before.CPUMilli <= 0 && before.MemoryBytes <= 0 {
		return []model.CheckResult{{Status: model.CheckWarn,
			Message: "no resource baseline was taken in preflight: use after the upgrade was not compared",
			Fix:     "make sure the provider reports the cluster's resource use (metrics-server) in preflight and postflight"}}
	}
	r := model.CheckResult{Status: status, Message: "resource use against the preflight baseline: " + strings.Join(figures, ", ")}
	switch status {
	case model.CheckFail:
		r.Message += fmt.Sprintf(" (more than +%d%%)", usageFailPercent)
		r.Fix = "find what grew (kubectl top pods -A, compare with the baseline): a component of the new version or pods left behind by the rollout"
	case model.CheckWarn:
		r.Message += fmt.Sprintf(" (more than +%d%%)", usageWarnPercent)
		r.Fix = "check that the growth is expected from the new version's release notes"
	}
	return []model.CheckResult{r}
}
