// Package render writes a run's report in every format zdt has, one file per format in a
// registry: the terminal summary (summary.txt), report.json, junit.xml, report.html with its
// plots, and metrics.prom for Prometheus. A new format is one file that registers its renderer.
package render
