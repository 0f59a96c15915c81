package model

import (
	"bufio"
	"bytes"
	"cmp"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
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
	// MetricsFile is the run's figures in the Prometheus text format, for a textfile collector
	// or a Pushgateway.
	MetricsFile = "metrics.prom"
	// ArtifactsDir is the folder of a real run's artifacts: the clusters' objects and logs.
	ArtifactsDir = "artifacts"
)

// Recorder receives what a provider measures, as it is measured. The pointers it is handed are
// valid only during the call: a recorder that keeps a record copies it (providers reuse them).
type Recorder interface {
	// Sample records a request (or a run of identical requests).
	Sample(*Sample) error
	// Interval records a timeline interval once it has ended (or when the run stops).
	Interval(*Interval) error
	// State records a periodic state sample.
	State(*StateSample) error
}

// NodeVersionsSkipper is implemented by a Recorder that never reads a state sample's
// NodesByVersion, which only the report's plots draw (report.Judging, which only judges the
// run): a provider may leave it nil for such a recorder.
type NodeVersionsSkipper interface {
	SkipsNodeVersions() bool
}

// ProbeCounter is implemented by a Recorder that reads of the API prober's answered probes
// (samples of one request, to APITarget, that succeeded) only how many there were and when the
// first and the last were sent (report.Judging: the API is judged by its failures). A provider
// may hand it such probes in runs, n at a time, instead of one Sample each; every other sample
// still goes to Sample.
type ProbeCounter interface {
	ProbesAnswered(first, last time.Duration, n int64) error
}

// Writer writes a run directory. Samples, intervals and states are appended as JSON lines, so a
// run that is interrupted leaves every complete line readable. It owns run.json while the run
// goes: it writes it at once, at every Checkpoint and at least every CheckpointInterval, with
// the run's ID and, for each file, how many records and bytes it holds and their SHA-256, so
// that a reader can tell a file cut short, changed or left by another run. It is safe for
// concurrent use: the real providers record load samples and timeline intervals from different
// goroutines.
type Writer struct {
	mu       sync.Mutex
	dir      string
	id       string
	final    map[string]FileStat // the manifest once the streams are closed
	streams  []*stream
	extra    map[string]FileStat // whole files written for the run (scenario.yaml)
	info     *RunInfo            // the run as last checkpointed
	stop     chan struct{}
	done     chan struct{}
	closeErr error
}

// stream is one JSON-lines file of the run directory.
type stream struct {
	name    string
	f       *os.File
	sum     *hashWriter
	buf     *bufio.Writer
	enc     *json.Encoder
	records int64
}

// hashWriter counts and hashes the bytes that reach a file.
type hashWriter struct {
	w io.Writer
	h hash.Hash
	n int64
}

func (hw *hashWriter) Write(p []byte) (int, error) {
	n, err := hw.w.Write(p)
	hw.h.Write(p[:n])
	hw.n += int64(n)
	return n, err
}

const (
	streamSamples = iota
	streamTimeline
	streamStates
)

// StreamFiles are the JSON-lines files of a run directory, in the order Writer keeps them.
var StreamFiles = []string{SamplesFile, TimelineFile, StatesFile}

// OwnFiles are every file zdt writes into a run directory: what --force clears.
var OwnFiles = []string{ScenarioFile, RunFile, SamplesFile, TimelineFile, StatesFile, ReportJSON, JUnitFile, ReportHTML, SummaryFile, MetricsFile}

// CheckpointInterval is the longest a run's streams stay unflushed and its run.json unwritten:
// a killed run loses at most this much of what it measured.
const CheckpointInterval = time.Second

// NewRunID returns a new random run ID.
func NewRunID() string {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on the systems zdt runs on
	}
	return hex.EncodeToString(b[:])
}

// Create makes dir (and its parents), opens the streams of a new run directory in it and writes
// run.json, in state running, from info (its ID, when empty, is a new one). Files written with
// WriteOwned are listed in the manifest too.
func Create(dir string, info *RunInfo) (*Writer, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create run directory: %w", err)
	}
	if info == nil {
		info = &RunInfo{}
	}
	w := &Writer{dir: dir, id: cmp.Or(info.ID, NewRunID()), extra: map[string]FileStat{}, stop: make(chan struct{}), done: make(chan struct{})}
	for _, name := range StreamFiles {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			w.closeStreams()
			return nil, fmt.Errorf("create run directory: %w", err)
		}
		hw := &hashWriter{w: f, h: sha256.New()}
		b := bufio.NewWriterSize(hw, 1<<16)
		w.streams = append(w.streams, &stream{name: name, f: f, sum: hw, buf: b, enc: json.NewEncoder(b)})
	}
	if err := w.Checkpoint(info); err != nil {
		w.closeStreams()
		return nil, err
	}
	go w.tick()
	return w, nil
}

// tick writes a checkpoint every CheckpointInterval until the writer closes.
func (w *Writer) tick() {
	defer close(w.done)
	t := time.NewTicker(CheckpointInterval)
	defer t.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-t.C:
			w.mu.Lock()
			if w.streams != nil {
				_ = w.checkpointLocked()
			}
			w.mu.Unlock()
		}
	}
}

// Dir returns the run directory.
func (w *Writer) Dir() string { return w.dir }

// ID returns the run's ID.
func (w *Writer) ID() string { return w.id }

// WriteOwned writes a whole file of the run (scenario.yaml) and lists it in the manifest.
func (w *Writer) WriteOwned(name string, data []byte) error {
	if err := WriteFile(w.dir, name, data); err != nil {
		return err
	}
	sum := sha256.Sum256(data)
	w.mu.Lock()
	w.extra[name] = FileStat{Records: int64(bytes.Count(data, []byte("\n"))), Bytes: int64(len(data)), SHA256: hex.EncodeToString(sum[:])}
	w.mu.Unlock()
	return nil
}

// Checkpoint records the run as it stands (its phases and checks so far), flushes the streams
// and writes run.json. The engine calls it at every phase change.
func (w *Writer) Checkpoint(info *RunInfo) error {
	snap, err := copyInfo(info)
	if err != nil {
		return err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.info = snap
	if w.streams == nil {
		return errors.New("run directory writer is closed")
	}
	return w.checkpointLocked()
}

func (w *Writer) checkpointLocked() error {
	var errs []error
	for _, s := range w.streams {
		errs = append(errs, s.buf.Flush())
	}
	info := *w.info
	info.ID, info.State, info.Files = w.id, RunRunning, w.filesLocked()
	errs = append(errs, WriteRunInfo(w.dir, &info))
	return errors.Join(errs...)
}

func (w *Writer) filesLocked() map[string]FileStat {
	out := make(map[string]FileStat, len(w.extra)+len(w.streams))
	maps.Copy(out, w.extra)
	for _, s := range w.streams {
		out[s.name] = FileStat{Records: s.records, Bytes: s.sum.n, SHA256: hex.EncodeToString(s.sum.h.Sum(nil))}
	}
	return out
}

// copyInfo deep-copies a RunInfo, so that a checkpoint does not share the engine's slices.
func copyInfo(info *RunInfo) (*RunInfo, error) {
	data, err := json.Marshal(info)
	if err != nil {
		return nil, fmt.Errorf("encode run.json: %w", err)
	}
	var out RunInfo
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, fmt.Errorf("encode run.json: %w", err)
	}
	return &out, nil
}

func (w *Writer) write(stream int, v any) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.streams == nil {
		return errors.New("run directory writer is closed")
	}
	s := w.streams[stream]
	if err := s.enc.Encode(v); err != nil {
		return err
	}
	s.records++
	return nil
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
	for _, s := range w.streams {
		errs = append(errs, s.buf.Flush())
	}
	return errors.Join(errs...)
}

// Close flushes and closes the streams and stops the checkpoints; run.json is then the caller's
// to finish (Finish). It is safe to call more than once.
func (w *Writer) Close() error {
	w.mu.Lock()
	if w.streams == nil {
		w.mu.Unlock()
		return w.closeErr
	}
	w.closeErr = w.closeStreamsLocked()
	w.mu.Unlock()
	close(w.stop)
	<-w.done
	return w.closeErr
}

func (w *Writer) closeStreams() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closeStreamsLocked()
}

func (w *Writer) closeStreamsLocked() error {
	var errs []error
	for _, s := range w.streams {
		errs = append(errs, s.buf.Flush(), s.f.Close())
	}
	w.final = w.filesLocked()
	w.streams = nil
	return errors.Join(errs...)
}

// Finish writes the final run.json of a closed writer: info, in state complete, with the final
// size and checksum of every file of the run.
func (w *Writer) Finish(info *RunInfo) error {
	if err := w.Close(); err != nil {
		return err
	}
	done := *info
	w.mu.Lock()
	done.ID, done.State, done.Files = w.id, RunComplete, w.final
	w.mu.Unlock()
	return WriteRunInfo(w.dir, &done)
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
	errs := []error{checkOffset("end", info.End)}
	for _, p := range info.Phases {
		errs = append(errs, checkOffset("phase "+string(p.Name)+" from", p.From), checkOffset("phase "+string(p.Name)+" to", p.To))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("read %s: %w", filepath.Join(dir, RunFile), err)
	}
	return &info, nil
}

// MaxOffset bounds every time a run directory's records hold: no run lasts longer. A record
// beyond it (or before the start) is malformed, not a measurement.
const MaxOffset = 8 * 24 * time.Hour

// MaxCount bounds the requests one aggregated sample stands for, MaxSpan the time they span
// (the simulator aggregates a second at most; the real providers write one sample a request).
const (
	MaxCount = 1 << 32
	MaxSpan  = time.Hour
)

func checkOffset(what string, d time.Duration) error {
	if d < 0 || d > MaxOffset {
		return fmt.Errorf("%s %s is outside any run (0 to %s)", what, d, MaxOffset)
	}
	return nil
}

// Check reports a sample whose times or count no run could have produced.
func (s *Sample) Check() error {
	if s.Count < 0 || s.Count > MaxCount {
		return fmt.Errorf("count %d is outside 0 to %d", s.Count, int64(MaxCount))
	}
	if s.Span > MaxSpan {
		return fmt.Errorf("span %s is longer than any aggregated sample (%s)", s.Span, MaxSpan)
	}
	return errors.Join(checkOffset("at", s.At), checkOffset("latency", s.Latency), checkOffset("span", s.Span))
}

// Check reports an interval whose times no run could have produced.
func (iv *Interval) Check() error {
	if err := errors.Join(checkOffset("from", iv.From), checkOffset("to", iv.To)); err != nil {
		return err
	}
	if iv.To < iv.From {
		return fmt.Errorf("ends (%s) before it starts (%s)", iv.To, iv.From)
	}
	return nil
}

// EachSample calls fn for every sample of the run directory, in file order, without holding
// them all in memory. A truncated last line (a run that crashed mid-write) is ignored.
func EachSample(dir string, fn func(*Sample) error) error {
	return eachLine(filepath.Join(dir, SamplesFile), func(dec []byte) error {
		var s Sample
		if err := json.Unmarshal(dec, &s); err != nil {
			return err
		}
		if err := s.Check(); err != nil {
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
		if err := iv.Check(); err != nil {
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
		if err := checkOffset("at", s.At); err != nil {
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

// Replay hands the records to r: the samples, then the intervals, then the states, each in the
// order they were recorded. It stops at r's first error.
func (m *Memory) Replay(r Recorder) error {
	for i := range m.Samples {
		if err := r.Sample(&m.Samples[i]); err != nil {
			return err
		}
	}
	for i := range m.Intervals {
		if err := r.Interval(&m.Intervals[i]); err != nil {
			return err
		}
	}
	for i := range m.States {
		if err := r.State(&m.States[i]); err != nil {
			return err
		}
	}
	return nil
}

// Verify checks the files of a run directory against the manifest in its run.json and returns
// one problem per file that does not hold what the run wrote: missing, cut short, changed, or
// left by another run. A run still in state running (killed) may have written a little past its
// last checkpoint; a complete run's files must match exactly. A run.json without a manifest
// cannot be checked, which is a problem too.
func Verify(dir string, info *RunInfo) []string {
	if len(info.Files) == 0 {
		return []string{RunFile + " lists no file of the run (no manifest): what the files hold cannot be checked"}
	}
	var problems []string
	for _, name := range slices.Sorted(maps.Keys(info.Files)) {
		want := info.Files[name]
		if p := verifyFile(filepath.Join(dir, name), want, info.State == RunComplete); p != "" {
			problems = append(problems, name+": "+p)
		}
	}
	return problems
}

func verifyFile(path string, want FileStat, exact bool) string {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Sprintf("missing (the run wrote %d records, %d bytes)", want.Records, want.Bytes)
	}
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err.Error()
	}
	switch {
	case st.Size() < want.Bytes:
		return fmt.Sprintf("cut short: %d of the %d bytes (%d records) the run wrote", st.Size(), want.Bytes, want.Records)
	case exact && st.Size() > want.Bytes:
		return fmt.Sprintf("%d bytes where the run wrote %d: changed after the run, or from another run", st.Size(), want.Bytes)
	}
	h := sha256.New()
	if _, err := io.CopyN(h, f, want.Bytes); err != nil {
		return err.Error()
	}
	if hex.EncodeToString(h.Sum(nil)) != want.SHA256 {
		return "does not hold what the run wrote (SHA-256 differs): changed after the run, or from another run"
	}
	return ""
}

// ClearOwn removes zdt's own files (OwnFiles, and the temporary files of WriteFile) from a run
// directory, leaving anything else in it alone.
func ClearOwn(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var errs []error
	for _, e := range entries {
		name := e.Name()
		tmp := strings.HasPrefix(name, ".") && slices.ContainsFunc(OwnFiles, func(own string) bool { return strings.HasPrefix(name, "."+own+".") })
		switch {
		case slices.Contains(OwnFiles, name) || tmp:
			errs = append(errs, os.Remove(filepath.Join(dir, name)))
		case name == ArtifactsDir && e.IsDir():
			errs = append(errs, os.RemoveAll(filepath.Join(dir, name)))
		}
	}
	return errors.Join(errs...)
}

// HoldsRun reports whether dir holds files of a run, and the run's run.json when it can be read.
func HoldsRun(dir string) (bool, *RunInfo) {
	for _, name := range OwnFiles {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			info, _ := ReadRunInfo(dir)
			return true, info
		}
	}
	return false, nil
}
