// Package cli holds what every zdt verb shares: I/O streams, exit codes and the error that
// carries one.
package cli
