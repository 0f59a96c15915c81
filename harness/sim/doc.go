// Package sim is zdt's default provider: a deterministic discrete-event simulation of a Cluster
// API managed cluster during an upgrade, with its HTTP traffic, on a virtual clock.
package sim
