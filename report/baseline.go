package report

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"gonum.org/v1/gonum/stat"
)

// A baseline is the history of a scenario's runs on a provider, kept as report.json files in
// HISTORY/SCENARIO/PROVIDER/, and a new run is judged against the history's percentiles, the
// way nightly upgrade jobs judge disruption against their historical P99: a figure above the
// percentile by more than the threshold tolerates is a regression.

// BaselineOptions say how a run is judged against its history.
type BaselineOptions struct {
	// Percentile of the history a figure is compared with (99: the P99).
	Percentile float64
	// MinRuns is the history a figure needs before it is judged; with less it is reported,
	// not judged.
	MinRuns int
	// Thresholds is the slack above the percentile (as zdt compare's above its base).
	Thresholds Thresholds
}

// DefaultBaselineOptions: the P99 of at least 5 runs, with zdt compare's thresholds.
func DefaultBaselineOptions() BaselineOptions {
	return BaselineOptions{Percentile: 99, MinRuns: 5, Thresholds: DefaultThresholds()}
}

// BaselineFigure is one figure of the new run against its history.
type BaselineFigure struct {
	Metric string  `json:"metric"`
	Unit   string  `json:"unit"`
	Value  float64 `json:"value"`
	// Runs is how many runs of the history have the figure; Percentile is their percentile
	// and Limit the percentile plus the tolerated slack (both 0 when Judged is false).
	Runs       int     `json:"runs"`
	Percentile float64 `json:"percentile"`
	Limit      float64 `json:"limit"`
	Judged     bool    `json:"judged"`
	Regressed  bool    `json:"regressed"`
}

// BaselineResult is zdt baseline check's judgement.
type BaselineResult struct {
	Scenario, Provider string
	Seed               int64
	Verdict            Verdict
	// Runs is the history's size; Passed how many of them passed.
	Runs, Passed int
	Percentile   float64
	MinRuns      int
	// VerdictRegressed: the new run did not pass though every run of the history did (and
	// there were at least MinRuns).
	VerdictRegressed bool
	Figures          []BaselineFigure
}

// Regressed reports whether the verdict or any figure regressed.
func (b *BaselineResult) Regressed() bool {
	return b.VerdictRegressed || slices.ContainsFunc(b.Figures, func(f BaselineFigure) bool { return f.Regressed })
}

// JudgeBaseline judges next against history, the runs of the same scenario and provider.
func JudgeBaseline(history []*Report, next *Report, opt BaselineOptions) *BaselineResult {
	res := &BaselineResult{Scenario: next.Scenario, Provider: next.Provider, Seed: next.Seed, Verdict: next.Verdict,
		Runs: len(history), Percentile: opt.Percentile, MinRuns: opt.MinRuns}
	values := map[string][]float64{}
	for _, h := range history {
		if h.Verdict == Pass {
			res.Passed++
		}
		for _, m := range h.Metrics() {
			values[m.Key] = append(values[m.Key], m.Value)
		}
	}
	res.VerdictRegressed = next.Verdict != Pass && res.Runs >= opt.MinRuns && res.Passed == res.Runs
	for _, m := range next.Metrics() {
		f := BaselineFigure{Metric: m.Name, Unit: m.Unit, Value: m.Value}
		if m.Step != "" {
			f.Metric = "phase/" + m.Step + "/" + m.Phase
		}
		v := values[m.Key]
		f.Runs = len(v)
		if len(v) >= opt.MinRuns && len(v) > 0 {
			sort.Float64s(v)
			f.Percentile = stat.Quantile(opt.Percentile/100, stat.Empirical, v, nil)
			f.Limit = f.Percentile + opt.Thresholds.Tolerance(m.Kind, f.Percentile)
			f.Judged = true
			f.Regressed = m.Value > f.Limit+1e-9
		}
		res.Figures = append(res.Figures, f)
	}
	return res
}

// Write prints the judgement: the history, the verdict, then every figure with its
// percentile and limit, regressions marked.
func (b *BaselineResult) Write(w io.Writer) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "%s on %s (seed %d): %s; history %d run(s), %d passed; judged against the P%g of at least %d run(s)\n",
		b.Scenario, b.Provider, b.Seed, b.Verdict, b.Runs, b.Passed, b.Percentile, b.MinRuns)
	if b.VerdictRegressed {
		fmt.Fprintf(bw, "REGRESSED  verdict  %s, every run of the history passed\n", b.Verdict)
	}
	width := 0
	for _, f := range b.Figures {
		width = max(width, len(f.Metric))
	}
	n := 0
	for _, f := range b.Figures {
		switch {
		case !f.Judged:
			fmt.Fprintf(bw, "%-10s %-*s  %s (history has %d of the %d runs needed)\n", "unjudged", width, f.Metric, value(f.Value, f.Unit), f.Runs, b.MinRuns)
		default:
			mark := "ok"
			if f.Regressed {
				mark = "REGRESSED"
				n++
			}
			fmt.Fprintf(bw, "%-10s %-*s  %s (P%g of %d: %s, limit %s)\n", mark, width, f.Metric, value(f.Value, f.Unit), b.Percentile, f.Runs, value(f.Percentile, f.Unit), value(f.Limit, f.Unit))
		}
	}
	if b.VerdictRegressed {
		n++
	}
	if n > 0 {
		fmt.Fprintf(bw, "%d regression(s)\n", n)
	} else {
		fmt.Fprintln(bw, "no regression")
	}
	return bw.Flush()
}

// HistoryDir is where a history keeps the runs of a scenario on a provider.
func HistoryDir(history, scenario, provider string) string {
	return filepath.Join(history, safeName(scenario), safeName(provider))
}

// AddToHistory copies a run's report into its history folder, named by the hash of its
// content: adding the same run twice keeps one copy. It returns the file written.
func AddToHistory(history string, r *Report) (string, error) {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return "", fmt.Errorf("encode report: %w", err)
	}
	data = append(data, '\n')
	sum := sha256.Sum256(data)
	dir := HistoryDir(history, r.Scenario, r.Provider)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("history: %w", err)
	}
	file := filepath.Join(dir, fmt.Sprintf("seed-%d-%s.json", r.Seed, hex.EncodeToString(sum[:6])))
	tmp := file + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return "", fmt.Errorf("history: %w", err)
	}
	if err := os.Rename(tmp, file); err != nil {
		return "", fmt.Errorf("history: %w", err)
	}
	return file, nil
}

// LoadHistory reads the runs of a scenario on a provider from a history; a history that does
// not have them yet is empty.
func LoadHistory(history, scenario, provider string) ([]*Report, error) {
	dir := HistoryDir(history, scenario, provider)
	entries, err := os.ReadDir(dir)
	if missing(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	var out []*Report
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		r, err := Load(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		if r.Scenario != scenario || r.Provider != provider {
			return nil, fmt.Errorf("history: %s is a run of %s on %s, not of %s on %s", filepath.Join(dir, e.Name()), r.Scenario, r.Provider, scenario, provider)
		}
		out = append(out, r)
	}
	return out, nil
}

// safeName keeps a scenario or provider name usable as one folder name.
func safeName(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == 0 {
			return '_'
		}
		return r
	}, s)
	if s == "" || s == "." || s == ".." {
		return "_" + s
	}
	return s
}
