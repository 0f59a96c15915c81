// Package capi is zdt's adapter to a real Cluster API management cluster and its workload cluster.
package capi
