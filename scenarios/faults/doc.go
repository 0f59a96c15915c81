// Package faults describes every kind of fault a scenario can inject, one file per kind: what it
// does to a cluster, how it is validated, how a sweep draws it at random and how a report names
// it as a cause. Providers inject them, each in one file per kind (harness/sim/fault_*.go).
package faults
