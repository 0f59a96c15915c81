package sim

import (
	"time"

	"github.com/zdt-dev/zdt/model"
	"github.com/zdt-dev/zdt/scenarios"
)

// buckets is how many distinct kube-proxy sync delays the simulator keeps: every node draws one
// of them, spread evenly over [proxySyncMin, proxySyncMax]. A view of the EndpointSlices per
// bucket (not per node) keeps the cost of an endpoint change independent of the cluster's size.
const buckets = 4

// node is a Machine and, once it has joined, its Node.
type node struct {
	idx     int
	name    string
	role    model.NodeRole
	pool    *pool // nil for control plane nodes
	zone    string
	version string
	created time.Duration

	cpu, mem int64
	maxPods  int
	usedCPU  int64
	usedMem  int64
	pods     []*pod // bound pods, terminating ones included, until they are gone

	joined   bool // the Node object exists
	ready    bool // the Node's Ready condition
	up       bool // the machine runs and answers on the network
	cordoned bool
	deleting bool // the Machine has a deletion timestamp
	gone     bool

	bucket int // kube-proxy sync delay bucket
	pulled map[*workload]bool

	lb lbMember // membership of the edge (workers) or API (control plane) load balancer

	// Control plane only.
	etcdMember  bool
	etcdRunning bool
	apiserverUp bool

	// Faults.
	partitioned bool          // cut off from the load balancers
	kubeletDown bool          // the kubelet stopped: no status, no pod changes
	extraDelay  time.Duration // network delay added to requests through this node

	drainStart   time.Duration
	drainBlocked map[*pod]*stall
	drainDone    bool
}

// reachable reports whether traffic can get to the node right now.
func (n *node) reachable() bool { return n.up && !n.partitioned && !n.gone }

// pool is a MachineDeployment.
type pool struct {
	idx            int
	name           string
	spec           *scenarios.WorkerPool
	replicas       int
	maxSurge       int
	maxUnavailable int
	drainTimeout   time.Duration
	version        string // the MachineDeployment's desired version
	seq            int    // machine name counter
}

// workload is a Deployment with its Service and PDBs.
type workload struct {
	idx      int
	name     string
	spec     *scenarios.Workload
	replicas int
	cpu, mem int64
	target   bool // load is sent to it

	active     []*pod // pods not terminating (the ReplicaSet's count)
	readyCount int    // active pods that are Ready
	perNode    []int  // non-terminating pods per node, by node index
	endpoints  int    // ready addresses in the EndpointSlice
	perZone    map[string]int
	pdbs       []*pdb
	seq        int

	views [buckets]view // what kube-proxy sees, per sync delay bucket
	route route         // cached routing probabilities of its Service
}

// pod is one pod of a workload.
type pod struct {
	name    string
	w       *workload
	node    *node
	created time.Duration
	gen     int // bumped when a pod's future changes, to drop stale events

	bound       bool
	started     bool // container running: the pod has an IP
	serving     bool // the application accepts requests
	ready       bool // the Ready condition
	terminating bool
	exited      bool // the application process is gone
	gone        bool // the pod object is deleted
	readyAt     time.Duration
	deletedAt   time.Duration

	ep      endpoint // as last written to the EndpointSlice
	viewPos [buckets]int
	termPos [buckets]int
	stalls  []*stall // open PDB stalls of this pod
}

// endpoint is a pod's entry in its Service's EndpointSlice.
type endpoint struct {
	present     bool
	ready       bool
	serving     bool
	terminating bool
}

// pdb is a PodDisruptionBudget.
type pdb struct {
	name      string
	spec      *scenarios.PDB
	workloads []*workload
}

// stall is an eviction refused by a PDB, open until the eviction succeeds.
type stall struct {
	pdb      string
	pod      *pod
	node     *node
	from     time.Duration
	attempts int
	reason   string
}

// lbMember is a node's place in a load balancer: in the backend list, and healthy as the load
// balancer's health checks see it.
type lbMember struct {
	in      bool
	healthy bool
	phase   time.Duration // offset of this backend's health checks
	gen     int
}
