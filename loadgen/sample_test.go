package loadgen

import (
	"net/http"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/zdt-dev/zdt/model"
)

func TestToSample(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name string
		r    vegeta.Result
		want model.Sample
	}{
		{
			name: "success with backend",
			r: vegeta.Result{Timestamp: start.Add(1500 * time.Millisecond), Latency: 3 * time.Millisecond, Code: 200,
				Headers: http.Header{"X-Backend": []string{"web-7d9f-abcde"}}},
			want: model.Sample{Target: "web", Conn: model.ConnNew, At: 1500 * time.Millisecond, Latency: 3 * time.Millisecond, Code: 200, Backend: "web-7d9f-abcde"},
		},
		{
			name: "refused",
			r: vegeta.Result{Timestamp: start.Add(time.Second), Latency: time.Millisecond,
				Error: `Get "http://127.0.0.1:8080/": dial tcp 127.0.0.1:8080: connect: connection refused`},
			want: model.Sample{Target: "web", Conn: model.ConnNew, At: time.Second, Latency: time.Millisecond, Error: ErrRefused},
		},
		{
			name: "reset",
			r:    vegeta.Result{Timestamp: start, Error: `Get "http://127.0.0.1:8080/": read tcp 127.0.0.1:5->127.0.0.1:8080: read: connection reset by peer`},
			want: model.Sample{Target: "web", Conn: model.ConnNew, Error: ErrReset},
		},
		{
			name: "timeout",
			r:    vegeta.Result{Timestamp: start, Latency: 5 * time.Second, Error: `Get "http://127.0.0.1:8080/": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`},
			want: model.Sample{Target: "web", Conn: model.ConnNew, Latency: 5 * time.Second, Error: ErrTimeout},
		},
		{
			name: "eof",
			r:    vegeta.Result{Timestamp: start, Error: `Get "http://127.0.0.1:8080/": EOF`},
			want: model.Sample{Target: "web", Conn: model.ConnNew, Error: ErrEOF},
		},
		{
			name: "http error keeps the status",
			r:    vegeta.Result{Timestamp: start, Code: 503, Error: "503 Service Unavailable", Headers: http.Header{"X-Backend": []string{"web-1"}}},
			want: model.Sample{Target: "web", Conn: model.ConnNew, Code: 503, Error: "503 Service Unavailable", Backend: "web-1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ToSample(&tt.r, "web", model.ConnNew, start); got != tt.want {
				t.Errorf("ToSample() = %+v, want %+v", got, tt.want)
			}
		})
	}
}
