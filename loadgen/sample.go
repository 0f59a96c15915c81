package loadgen

import (
	"strings"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/zdt-dev/zdt/model"
)

// BackendHeader is the response header that names the pod (or apiserver) that answered; zdt's
// sample app sets it to its pod name.
const BackendHeader = "X-Backend"

// Short error classes that ToSample writes instead of Go's long error strings, so that samples
// of real runs and of the simulator name failures alike.
const (
	ErrRefused = "connection refused"
	ErrReset   = "connection reset"
	ErrTimeout = "timeout"
	ErrEOF     = "EOF"
)

// ToSample converts one of vegeta's results into zdt's request sample. target and conn name the
// stream that sent it, and start is the instant sample offsets count from. Transport errors are
// shortened to their class (ErrRefused, ErrReset, ErrTimeout, ErrEOF); an HTTP answer outside
// 2xx and 3xx keeps vegeta's error, the status line.
func ToSample(r *vegeta.Result, target string, conn model.ConnMode, start time.Time) model.Sample {
	s := model.Sample{
		Target:  target,
		Conn:    conn,
		At:      r.Timestamp.Sub(start),
		Latency: r.Latency,
		Code:    int(r.Code),
		Error:   errorClass(r.Error),
	}
	if r.Headers != nil {
		s.Backend = r.Headers.Get(BackendHeader)
	}
	return s
}

// errorClass shortens a Go transport error to the failure a user would see.
func errorClass(msg string) string {
	switch {
	case msg == "":
		return ""
	case strings.Contains(msg, "connection refused"):
		return ErrRefused
	case strings.Contains(msg, "connection reset"), strings.Contains(msg, "broken pipe"):
		return ErrReset
	case strings.Contains(msg, "Client.Timeout"), strings.Contains(msg, "i/o timeout"),
		strings.Contains(msg, "deadline exceeded"):
		return ErrTimeout
	case strings.HasSuffix(msg, "EOF"):
		return ErrEOF
	}
	return msg
}
