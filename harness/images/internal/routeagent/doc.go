// Command routeagent keeps, on every node of a zdt cluster, a route to each other node's pod CIDR.
package main
