// Package model holds the data every provider emits and every report reads: request samples,
// timeline intervals, state samples, check results and the run directory that stores them.
package model
