// Package harness is zdt's engine: it takes a scenario and a provider, brings the cluster up,
// runs preflight, the rolling upgrade and postflight under load, and records what happened.
package harness
