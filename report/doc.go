// Package report judges a zdt run: it reads a run directory (or data in memory), has package
// measure compute the measurements, and derives every criterion's outcome with its cause and
// fix, and the verdict; it compares two reports. Package render writes the report's formats.
package report
