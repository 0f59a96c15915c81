// Package compare implements `zdt compare`: what regressed between two runs.
package compare
