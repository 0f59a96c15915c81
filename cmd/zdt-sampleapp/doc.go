// Command zdt-sampleapp is the HTTP workload zdt deploys on real clusters (see loadgen/sampleapp).
package main
