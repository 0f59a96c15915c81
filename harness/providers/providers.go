// Package providers registers every provider zdt ships with the harness's registry: import it
// for its side effect. A new provider is its own package and one line here.
package providers

import (
	// The simulator, the default provider.
	_ "github.com/zdt-dev/zdt/harness/sim"
	// A kind management cluster with Cluster API's Docker provider.
	_ "github.com/zdt-dev/zdt/harness/kind"
	// An existing Cluster API management cluster.
	_ "github.com/zdt-dev/zdt/harness/kubeconfig"
)
