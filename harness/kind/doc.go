// Package kind runs zdt's scenarios on real clusters on one machine: a kind management cluster with Cluster API and its Docker provider, a workload cluster from a ClusterClass, zdt's sample app and an edge load balancer.
package kind
