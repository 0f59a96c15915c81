// Package measure computes what a run measured from the data model alone: dropped requests and
// their windows, disruption per backend, latency, API downtime, PDB stalls, capacity floors,
// phase durations and whether the load generator kept up. Samples are aggregated as they
// stream by; nothing here knows which provider ran.
package measure
