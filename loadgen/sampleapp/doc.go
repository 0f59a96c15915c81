// Package sampleapp is zdt's sample HTTP workload: it names its pod in every answer, starts late and shuts down the way a scenario says.
package sampleapp
