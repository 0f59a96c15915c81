package model

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func TestWriterConcurrentAndTruncatedLine(t *testing.T) {
	dir := t.TempDir()
	w, err := Create(dir)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 250; i++ {
				if err := w.Sample(&Sample{Target: "web", Conn: ConnNew, At: time.Duration(i), Code: 200}); err != nil {
					t.Error(err)
				}
				if i%50 == 0 {
					if err := w.Flush(); err != nil {
						t.Error(err)
					}
				}
			}
		}()
	}
	wg.Wait()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Sample(&Sample{}); err == nil {
		t.Error("a closed writer accepted a sample")
	}
	// A crash mid-line leaves a last line without its newline: readers skip it.
	f, err := os.OpenFile(filepath.Join(dir, SamplesFile), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"target":"web","co`)
	f.Close()
	n := 0
	if err := EachSample(dir, func(*Sample) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	if n != 1000 {
		t.Errorf("read %d samples, want 1000", n)
	}
}
