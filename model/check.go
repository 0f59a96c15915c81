package model

// CheckStatus is the outcome of one preflight or postflight check.
type CheckStatus string

const (
	// CheckPass means the precondition holds.
	CheckPass CheckStatus = "pass"
	// CheckWarn means the upgrade may go on but something is at risk.
	CheckWarn CheckStatus = "warn"
	// CheckFail means the run must stop before any node is touched (preflight) or the upgrade
	// did not end where it should (postflight).
	CheckFail CheckStatus = "fail"
)

// CheckResult is what one check found.
type CheckResult struct {
	// Name identifies the check, e.g. "nodes-ready".
	Name   string      `json:"name"`
	Status CheckStatus `json:"status"`
	// Message says what was found.
	Message string `json:"message"`
	// Fix says what the user should change, when the status is not pass.
	Fix string `json:"fix,omitempty"`
}

// Failed reports whether any result failed.
func Failed(results []CheckResult) bool {
	for _, r := range results {
		if r.Status == CheckFail {
			return true
		}
	}
	return false
}
