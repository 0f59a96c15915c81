package world

import (
	"time"

	"github.com/zdt-dev/zdt/model"
	"github.com/zdt-dev/zdt/scenarios"
)

// Buckets is how many distinct kube-proxy sync delays the simulator keeps: every node draws one
// of them, spread evenly over [proxySyncMin, proxySyncMax]. A view of the EndpointSlices per
// bucket (not per node) keeps the cost of an endpoint change independent of the cluster's size.
const Buckets = 4

// Node is a Machine and, once it has joined, its Node.
type Node struct {
	// What the scheduler reads of every node it looks at comes first, so that it shares a
	// cache line or two (pickNode visits hundreds of nodes per pod in a large fleet).
	idx      int
	Role     model.NodeRole
	Joined   bool // the Node object exists
	Ready    bool // the Node's Ready condition
	Up       bool // the machine runs and answers on the network
	Cordoned bool
	Deleting bool // the Machine has a deletion timestamp
	Gone     bool
	CPU, Mem int64
	UsedCPU  int64
	UsedMem  int64
	Pods     []*Pod // bound pods, terminating ones included, until they are gone
	MaxPods  int

	Name    string
	Pool    string // the MachineDeployment of a worker; "" for control plane nodes
	Zone    string
	zone    int32 // Zone's index in World.zones
	Version string
	Created time.Duration
	// JoinedAt is when the Node became Ready; DaemonsReady is set once its DaemonSet pods
	// (kube-proxy, the CNI's agent) are Ready, daemonSetStart later.
	JoinedAt     time.Duration
	DaemonsReady bool

	Bucket int // kube-proxy sync delay bucket
	// staticPods and proxyPod are the names of the node's system pods (StaticPodNames).
	staticPods *[len(StaticPods)]string
	proxyPod   string
	pulled     []bool // by workload index: the node has the workload's image

	LB LBMember // membership of the edge (workers) or API (control plane) load balancer

	// Control plane only.
	EtcdMember  bool
	EtcdRunning bool
	APIServerUp bool

	// Faults.
	Partitioned bool          // cut off from the load balancers
	KubeletDown bool          // the kubelet stopped: no status, no pod changes
	ExtraDelay  time.Duration // network delay added to requests through this node
	backAt      time.Duration // when the kubelet last came back (NodeRecovered)
}

// Reachable reports whether traffic can get to the node right now.
func (n *Node) Reachable() bool { return n.Up && !n.Partitioned && !n.Gone }

// Workload is a Deployment with its Service and PDBs.
type Workload struct {
	idx      int
	Name     string
	Spec     *scenarios.Workload
	Replicas int
	CPU, Mem int64
	Target   bool // load is sent to it
	// System is a kube-system workload (CoreDNS): drained and rescheduled like any other, but
	// neither a scenario workload nor measured.
	System bool

	Active     []*Pod // pods not terminating (the ReplicaSet's count)
	ReadyCount int    // active pods that are Ready
	perNode    []int  // non-terminating pods per node, by node index
	Endpoints  int    // ready addresses in the EndpointSlice
	perZone    []int  // bound pods by zone index (World.zones)
	PDBs       []*PDB
	seq        int
	shape      int32 // the scheduler's number of CPU and Mem (sched.Scheduler.Shape)

	Views [Buckets]View // what kube-proxy sees, per sync delay bucket
	Route Route         // cached routing probabilities of its Service
	// ansDirty are the pods whose answer may have changed since the figures counted them.
	ansDirty []*Pod
}

// Pod is one pod of a workload.
type Pod struct {
	// The fields the invariant checks read of every pod come first, in one cache line: a
	// large fleet's check visits 150,000 pods.
	W    *Workload
	Node *Node

	Bound       bool
	Started     bool // container running: the pod has an IP
	Serving     bool // the application accepts requests
	Ready       bool // the Ready condition
	Terminating bool
	Exited      bool // the application process is gone
	Gone        bool // the pod object is deleted
	// startWaiting is set while the container waits for the kubelet to start it; termStarted
	// once the kubelet has begun terminating the pod (termAt); lostWith names the node whose
	// power-off stopped its process.
	startWaiting bool
	termStarted  bool
	// ans is what PodAnswers said of the pod when its Service's figures last counted it
	// (ansOK, ansRefused); ansMarked says it may have changed since (answerMayChange).
	ans       uint8
	ansMarked bool
	ep        endpoint      // as last written to the EndpointSlice
	epStale   time.Duration // since when the endpoint disagrees with the pod (invariants)
	termAt    time.Duration
	DeletedAt time.Duration
	// Gen is bumped when a pod's future changes, to drop stale events.
	Gen int

	Name     string
	Created  time.Duration
	ReadyAt  time.Duration
	lostWith string

	viewPos [Buckets]int
	termPos [Buckets]int
	// activePos and nodePos are the pod's places in its workload's Active and its node's Pods,
	// -1 when in neither, so that taking it out of them needs no search.
	activePos, nodePos int32
	// The padding makes a Pod 192 bytes, a size class whose objects start on a cache line, so
	// that the fields above the first line stay in one.
	_ int64
}

// endpoint is a pod's entry in its Service's EndpointSlice.
type endpoint struct {
	Present     bool
	Ready       bool
	Serving     bool
	Terminating bool
}

// PDB is a PodDisruptionBudget.
type PDB struct {
	Name      string
	Spec      *scenarios.PDB
	Workloads []*Workload
	// desired is the desired healthy count PDBStatus last worked out, for desiredFor expected
	// pods.
	desiredSet          bool
	desiredFor, desired int
}

// LBMember is a node's place in a load balancer: in the backend list, and healthy as the load
// balancer's health checks see it.
type LBMember struct {
	In      bool
	Healthy bool
	phase   time.Duration // offset of this backend's health checks
	Gen     int
}

// Effects are what injected faults currently change in the cluster; fault injectors set them.
type Effects struct {
	// SlowStart delays the serving of a workload's pods started while it is set.
	SlowStart map[*Workload]time.Duration
	// ProvisionSlow delays new machines; ProvisionFails counts the next machines that fail.
	ProvisionSlow  time.Duration
	ProvisionFails int
	// EvictionErrors above 0 make the eviction API answer 500.
	EvictionErrors int
	// DelayedNodes counts the nodes with an added network delay (Node.ExtraDelay); while it is
	// 0 no request pays a path delay and none is computed.
	DelayedNodes int
}
