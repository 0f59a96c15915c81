// Package loadgen sends zdt's HTTP load and API probes with vegeta and models the same traffic on a virtual clock.
package loadgen
