package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// Exit codes of every zdt command.
const (
	ExitPass         = 0 // the run passed every criterion (or the command succeeded)
	ExitFail         = 1 // the run failed a criterion (or compare found a regression)
	ExitBadInput     = 2 // bad input or a harness error
	ExitInconclusive = 3 // the harness could not measure reliably
)

// ExitCodesHelp documents the exit codes in every command's --help.
const ExitCodesHelp = `Exit codes: 0 PASS, 1 FAIL, 2 bad input or harness error, 3 INCONCLUSIVE.`

// IOStreams are the standard streams of a command, replaced by buffers in tests.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
}

// StandardStreams returns the process's own streams.
func StandardStreams() IOStreams {
	return IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}
}

// ExitError ends a command with a given exit code. Its message, if any, is printed to stderr.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit code %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// Exit returns an ExitError with the given code; err may be nil for a silent exit.
func Exit(code int, err error) error {
	return &ExitError{Code: code, Err: err}
}

// BadInput wraps an error as exit code 2.
func BadInput(err error) error {
	return &ExitError{Code: ExitBadInput, Err: err}
}

// ExitCode returns the exit code an error stands for: its ExitError code, or 2.
func ExitCode(err error) int {
	if err == nil {
		return ExitPass
	}
	var e *ExitError
	if errors.As(err, &e) {
		return e.Code
	}
	return ExitBadInput
}
