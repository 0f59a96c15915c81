package model

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
)

// Names of the files in a run directory.
const (
	ScenarioFile = "scenario.yaml"
	RunFile      = "run.json"
	SamplesFile  = "samples.jsonl"
	TimelineFile = "timeline.jsonl"
	StatesFile   = "states.jsonl"
	ReportJSON   = "report.json"
	JUnitFile    = "junit.xml"
	ReportHTML   = "report.html"
	SummaryFile  = "summary.txt"
)

// Recorder receives what a provider measures, as it is measured.
type Recorder interface {
	// Sample records a request (or a run of identical requests).
	Sample(*Sample) error
	// Interval records a timeline interval once it has ended (or when the run stops).
	Interval(*Interval) error
	// State records a periodic state sample.
	State(*StateSample) error
}

// Writer writes a run directory. Samples, intervals and states are appended as JSON lines, so a
// run that is interrupted leaves every complete line readable. It is safe for concurrent use: the
// real providers record load samples and timeline intervals from different goroutines.
type Writer struct {
	mu       sync.Mutex
	dir      string
	files    []*os.File
	bufs     []*bufio.Writer
	encs     []*json.Encoder
	closeErr error
}

const (
	streamSamples = iota
	streamTimeline
	streamStates
)

// Create makes dir (and its parents) and opens the streams of a new run directory in it.
func Create(dir string) (*Writer, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create run directory: %w", err)
	}
	w := &Writer{dir: dir}
	for _, name := range []string{SamplesFile, TimelineFile, StatesFile} {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			w.Close()
			return nil, fmt.Errorf("create run directory: %w", err)
		}
		b := bufio.NewWriterSize(f, 1<<16)
		w.files = append(w.files, f)
		w.bufs = append(w.bufs, b)
		w.encs = append(w.encs, json.NewEncoder(b))
	}
	return w, nil
}

// Dir returns the run directory.
func (w *Writer) Dir() string { return w.dir }

func (w *Writer) write(stream int, v any) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.encs == nil {
		return errors.New("run directory writer is closed")
	}
	return w.encs[stream].Encode(v)
}

// Sample implements Recorder.
func (w *Writer) Sample(s *Sample) error { return w.write(streamSamples, s) }

// Interval implements Recorder.
func (w *Writer) Interval(iv *Interval) error { return w.write(streamTimeline, iv) }

// State implements Recorder.
func (w *Writer) State(s *StateSample) error { return w.write(streamStates, s) }

// Flush pushes buffered lines to the files, so that what was measured so far survives a crash.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	var errs []error
	for _, b := range w.bufs {
		errs = append(errs, b.Flush())
	}
	return errors.Join(errs...)
}

// Close flushes and closes the streams. It is safe to call more than once.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.files == nil {
		return w.closeErr
	}
	var errs []error
	for _, b := range w.bufs {
		errs = append(errs, b.Flush())
	}
	for _, f := range w.files {
		errs = append(errs, f.Close())
	}
	w.files, w.bufs, w.encs = nil, nil, nil
	w.closeErr = errors.Join(errs...)
	return w.closeErr
}

// WriteFile writes one whole file (run.json, scenario.yaml, a report) into the run directory,
// through a temporary file and a rename so that a reader never sees half of it.
func WriteFile(dir, name string, data []byte) error {
	tmp, err := os.CreateTemp(dir, "."+name+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, name)); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

// WriteRunInfo writes run.json.
func WriteRunInfo(dir string, info *RunInfo) error {
	data, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return fmt.Errorf("encode run.json: %w", err)
	}
	return WriteFile(dir, RunFile, append(data, '\n'))
}

// ReadRunInfo reads run.json.
func ReadRunInfo(dir string) (*RunInfo, error) {
	data, err := os.ReadFile(filepath.Join(dir, RunFile))
	if err != nil {
		return nil, fmt.Errorf("read run directory %s: %w", dir, err)
	}
	var info RunInfo
	if err := json.Unmarshal(data, &info); err != nil {
		return nil, fmt.Errorf("read %s: %w", filepath.Join(dir, RunFile), err)
	}
	return &info, nil
}

// EachSample calls fn for every sample of the run directory, in file order, without holding
// them all in memory. A truncated last line (a run that crashed mid-write) is ignored.
func EachSample(dir string, fn func(*Sample) error) error {
	return eachLine(filepath.Join(dir, SamplesFile), func(dec []byte) error {
		var s Sample
		if err := json.Unmarshal(dec, &s); err != nil {
			return err
		}
		return fn(&s)
	})
}

// ReadTimeline reads every interval of the run directory.
func ReadTimeline(dir string) ([]Interval, error) {
	var out []Interval
	err := eachLine(filepath.Join(dir, TimelineFile), func(line []byte) error {
		var iv Interval
		if err := json.Unmarshal(line, &iv); err != nil {
			return err
		}
		out = append(out, iv)
		return nil
	})
	return out, err
}

// ReadStates reads every state sample of the run directory.
func ReadStates(dir string) ([]StateSample, error) {
	var out []StateSample
	err := eachLine(filepath.Join(dir, StatesFile), func(line []byte) error {
		var s StateSample
		if err := json.Unmarshal(line, &s); err != nil {
			return err
		}
		out = append(out, s)
		return nil
	})
	return out, err
}

func eachLine(path string, fn func([]byte) error) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("read run data: %w", err)
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<16)
	for n := 1; ; n++ {
		line, err := r.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			// A last line without its newline was cut short by a crash: skip it.
			return nil
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", path, err)
		}
		if err := fn(line); err != nil {
			return fmt.Errorf("%s:%d: %w", path, n, err)
		}
	}
}

// Memory is a Recorder that keeps everything in memory, for tests and for sweeps that only
// need the verdict.
type Memory struct {
	Samples   []Sample
	Intervals []Interval
	States    []StateSample
}

// Sample implements Recorder.
func (m *Memory) Sample(s *Sample) error { m.Samples = append(m.Samples, *s); return nil }

// Interval implements Recorder.
func (m *Memory) Interval(iv *Interval) error { m.Intervals = append(m.Intervals, *iv); return nil }

// State implements Recorder.
func (m *Memory) State(s *StateSample) error { m.States = append(m.States, *s); return nil }
