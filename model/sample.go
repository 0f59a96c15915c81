package model

import "time"

// ConnMode says whether a request opened a new connection or reused a kept-alive one.
type ConnMode string

const (
	// ConnNew is a request that opened its own TCP connection.
	ConnNew ConnMode = "new"
	// ConnReused is a request sent on a kept-alive connection.
	ConnReused ConnMode = "reused"
)

// APITarget is the Target of samples taken by the Kubernetes API availability prober.
const APITarget = "kube-api"

// Sample is the record of one request, in the manner of vegeta's Result.
//
// The real providers write one Sample per request. The simulator, whose routing is constant
// between two changes of cluster state, may write one Sample for a run of Count requests with
// the same outcome sent evenly over [At, At+Span); Latency is then their mean. Reports weigh
// every Sample by its Count, so every request is counted either way.
type Sample struct {
	// Target is the workload (or APITarget) the request was sent to.
	Target string `json:"target"`
	// Conn is the connection mode of the stream that sent the request.
	Conn ConnMode `json:"conn"`
	// At is when the request was sent, as an offset from the start of the run.
	At time.Duration `json:"at"`
	// Latency is how long the request took until a response or an error.
	Latency time.Duration `json:"latency"`
	// Code is the HTTP status code; 0 when no response arrived.
	Code int `json:"code"`
	// Error is empty on success, otherwise what the client saw ("connection refused", ...).
	Error string `json:"error,omitempty"`
	// Backend names the pod (or apiserver) that answered, when known.
	Backend string `json:"backend,omitempty"`
	// Count is how many requests this record stands for; 0 and 1 both mean one.
	Count int64 `json:"count,omitempty"`
	// Span is the time over which Count requests were sent.
	Span time.Duration `json:"span,omitempty"`
	// LatencySigma, when set (by the simulator, from its calibrated latency model), says that
	// the latencies of the Count requests follow a log-normal distribution with mean Latency
	// and this standard deviation of their logarithm; reports spread them so.
	LatencySigma float64 `json:"latencySigma,omitempty"`
}

// N returns the number of requests the sample stands for.
func (s *Sample) N() int64 {
	if s.Count <= 0 {
		return 1
	}
	return s.Count
}

// OK reports whether the request succeeded: a 2xx or 3xx answer and no error.
func (s *Sample) OK() bool {
	return s.Error == "" && s.Code >= 200 && s.Code < 400
}
