// Package sweep runs a scenario over many seeds, optionally with random fault schedules drawn
// from each seed, and shrinks every distinct failure to the smallest fault schedule that still
// fails.
package sweep
