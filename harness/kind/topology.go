package kind

import (
	"bytes"
	"fmt"
	"text/template"

	"github.com/zdt-dev/zdt/harness/images"
	"github.com/zdt-dev/zdt/harness/kind/internal/dockercli"
	"github.com/zdt-dev/zdt/harness/kind/internal/isolation"
	"github.com/zdt-dev/zdt/scenarios"
)

// clusterClassName is the ClusterClass zdt's workload clusters are made from: the Docker
// provider's quick-start, with zdt's node images and the sample app preloaded on every worker.
const clusterClassName = "zdt-docker"

// workerClass is the MachineDeployment class every worker pool uses.
const workerClass = "default-worker"

// topologyInput is what the workload cluster's manifest is rendered from.
type topologyInput struct {
	// Name and Namespace of the Cluster.
	Name, Namespace string
	// Scenario gives the version, the control plane replicas and the worker pools.
	Scenario *scenarios.Scenario
	// NodeImageRepo is the repository of the node images, tagged by Kubernetes version.
	NodeImageRepo string
	// Preload lists images the Docker provider loads into every new worker before it joins.
	Preload []string
	// ServiceRangeDropIn is the host path of the kubelet drop-in that keeps packets for the
	// service range on the node (isolation.WriteServiceRangeDropIn for WorkloadServiceRange);
	// empty mounts none.
	ServiceRangeDropIn string
}

// WorkloadServiceRange is the workload cluster's Service range; the management cluster keeps
// kind's (ManagementServiceRange).
const (
	WorkloadServiceRange   = "10.128.0.0/12"
	ManagementServiceRange = "10.96.0.0/12"
)

// topology renders the ClusterClass, its templates and the Cluster of in, as YAML documents
// for the management cluster.
func topology(in topologyInput) ([]byte, error) {
	if in.NodeImageRepo == "" {
		in.NodeImageRepo = images.NodeImageRepo
	}
	if in.Namespace == "" {
		in.Namespace = "default"
	}
	type pool struct {
		Name                     string
		Replicas                 int32
		MaxSurge, MaxUnavailable string
		DrainTimeoutSeconds      int32
	}
	data := struct {
		topologyInput
		Class, WorkerClass, Version string
		ControlPlane                int32
		Pools                       []pool
		Labels                      map[string]string
		ServiceRange, DropInPath    string
	}{topologyInput: in, Class: clusterClassName, WorkerClass: workerClass, Version: in.Scenario.Spec.Versions.From,
		ControlPlane: 1, Labels: map[string]string{dockercli.LabelOwned: "true", dockercli.LabelRun: in.Name},
		ServiceRange: WorkloadServiceRange, DropInPath: isolation.ServiceRangeDropInPath}
	if r := in.Scenario.Spec.Cluster.ControlPlane.Replicas; r != nil {
		data.ControlPlane = *r
	}
	for _, p := range in.Scenario.Spec.Cluster.WorkerPools {
		q := pool{Name: p.Name, Replicas: 1, MaxSurge: "1", MaxUnavailable: "0"}
		if p.Replicas != nil {
			q.Replicas = *p.Replicas
		}
		if p.MaxSurge != nil {
			q.MaxSurge = p.MaxSurge.String()
		}
		if p.MaxUnavailable != nil {
			q.MaxUnavailable = p.MaxUnavailable.String()
		}
		if p.NodeDrainTimeout != nil {
			q.DrainTimeoutSeconds = int32(p.NodeDrainTimeout.Duration.Seconds())
		}
		data.Pools = append(data.Pools, q)
	}
	var b bytes.Buffer
	if err := topologyTemplate.Execute(&b, data); err != nil {
		return nil, fmt.Errorf("render the workload cluster: %w", err)
	}
	return b.Bytes(), nil
}

// intOrString renders an IntOrString's text as YAML: numbers bare, percentages quoted.
func intOrString(s string) string {
	for _, r := range s {
		if r < '0' || r > '9' {
			return fmt.Sprintf("%q", s)
		}
	}
	return s
}

var topologyTemplate = template.Must(template.New("topology").Funcs(template.FuncMap{"ios": intOrString}).Parse(`# zdt's workload cluster: the Docker provider's quick-start ClusterClass with zdt's node images.
apiVersion: cluster.x-k8s.io/v1beta2
kind: ClusterClass
metadata:
  name: {{.Class}}
  namespace: {{.Namespace}}
  labels:{{range $k, $v := .Labels}}
    {{$k}}: "{{$v}}"{{end}}
spec:
  controlPlane:
    templateRef:
      apiVersion: controlplane.cluster.x-k8s.io/v1beta2
      kind: KubeadmControlPlaneTemplate
      name: {{.Class}}-control-plane
    machineInfrastructure:
      templateRef:
        apiVersion: infrastructure.cluster.x-k8s.io/v1beta2
        kind: DockerMachineTemplate
        name: {{.Class}}-control-plane
  infrastructure:
    templateRef:
      apiVersion: infrastructure.cluster.x-k8s.io/v1beta2
      kind: DockerClusterTemplate
      name: {{.Class}}-cluster
  workers:
    machineDeployments:
    - class: {{.WorkerClass}}
      bootstrap:
        templateRef:
          apiVersion: bootstrap.cluster.x-k8s.io/v1beta2
          kind: KubeadmConfigTemplate
          name: {{.Class}}-worker-bootstrap
      infrastructure:
        templateRef:
          apiVersion: infrastructure.cluster.x-k8s.io/v1beta2
          kind: DockerMachineTemplate
          name: {{.Class}}-worker
  patches:
  - name: nodeImage
    description: zdt's node image of each machine's Kubernetes version.
    definitions:
    - selector:
        apiVersion: infrastructure.cluster.x-k8s.io/v1beta2
        kind: DockerMachineTemplate
        matchResources:
          controlPlane: true
      jsonPatches:
      - op: add
        path: /spec/template/spec/customImage
        valueFrom:
          template: "{{.NodeImageRepo}}:{{"{{"}} .builtin.controlPlane.version {{"}}"}}"
    - selector:
        apiVersion: infrastructure.cluster.x-k8s.io/v1beta2
        kind: DockerMachineTemplate
        matchResources:
          machineDeploymentClass:
            names: [{{.WorkerClass}}]
      jsonPatches:
      - op: add
        path: /spec/template/spec/customImage
        valueFrom:
          template: "{{.NodeImageRepo}}:{{"{{"}} .builtin.machineDeployment.version {{"}}"}}"
---
apiVersion: infrastructure.cluster.x-k8s.io/v1beta2
kind: DockerClusterTemplate
metadata:
  name: {{.Class}}-cluster
  namespace: {{.Namespace}}
spec:
  template:
    spec: {}
---
apiVersion: controlplane.cluster.x-k8s.io/v1beta2
kind: KubeadmControlPlaneTemplate
metadata:
  name: {{.Class}}-control-plane
  namespace: {{.Namespace}}
spec:
  template:
    spec:
      kubeadmConfigSpec:
        clusterConfiguration:
          apiServer:
            certSANs: [localhost, 127.0.0.1, 0.0.0.0]
        initConfiguration:
          nodeRegistration:
            kubeletExtraArgs:
            - name: eviction-hard
              value: 'nodefs.available<0%,nodefs.inodesFree<0%,imagefs.available<0%'
        joinConfiguration:
          nodeRegistration:
            kubeletExtraArgs:
            - name: eviction-hard
              value: 'nodefs.available<0%,nodefs.inodesFree<0%,imagefs.available<0%'
---
apiVersion: infrastructure.cluster.x-k8s.io/v1beta2
kind: DockerMachineTemplate
metadata:
  name: {{.Class}}-control-plane
  namespace: {{.Namespace}}
spec:
  template:
    spec:
      extraMounts:
      - containerPath: /var/run/docker.sock
        hostPath: /var/run/docker.sock{{if .ServiceRangeDropIn}}
      - containerPath: {{.DropInPath}}
        hostPath: {{.ServiceRangeDropIn}}
        readOnly: true{{end}}
---
apiVersion: infrastructure.cluster.x-k8s.io/v1beta2
kind: DockerMachineTemplate
metadata:
  name: {{.Class}}-worker
  namespace: {{.Namespace}}
spec:
  template:
    spec:
      extraMounts:
      - containerPath: /var/run/docker.sock
        hostPath: /var/run/docker.sock{{if .ServiceRangeDropIn}}
      - containerPath: {{.DropInPath}}
        hostPath: {{.ServiceRangeDropIn}}
        readOnly: true{{end}}{{if .Preload}}
      preLoadImages:{{range .Preload}}
      - {{.}}{{end}}{{end}}
---
apiVersion: bootstrap.cluster.x-k8s.io/v1beta2
kind: KubeadmConfigTemplate
metadata:
  name: {{.Class}}-worker-bootstrap
  namespace: {{.Namespace}}
spec:
  template:
    spec:
      joinConfiguration:
        nodeRegistration:
          kubeletExtraArgs:
          - name: eviction-hard
            value: 'nodefs.available<0%,nodefs.inodesFree<0%,imagefs.available<0%'
---
apiVersion: cluster.x-k8s.io/v1beta2
kind: Cluster
metadata:
  name: {{.Name}}
  namespace: {{.Namespace}}
  labels:{{range $k, $v := .Labels}}
    {{$k}}: "{{$v}}"{{end}}
spec:
  clusterNetwork:
    services:
      cidrBlocks: ["{{.ServiceRange}}"]
    pods:
      cidrBlocks: ["192.168.0.0/16"]
    serviceDomain: cluster.local
  topology:
    classRef:
      name: {{.Class}}
    version: {{.Version}}
    controlPlane:
      replicas: {{.ControlPlane}}
    workers:
      machineDeployments:{{range .Pools}}
      - class: {{$.WorkerClass}}
        name: {{.Name}}
        replicas: {{.Replicas}}{{if .DrainTimeoutSeconds}}
        deletion:
          nodeDrainTimeoutSeconds: {{.DrainTimeoutSeconds}}{{end}}
        rollout:
          strategy:
            type: RollingUpdate
            rollingUpdate:
              maxSurge: {{ios .MaxSurge}}
              maxUnavailable: {{ios .MaxUnavailable}}{{end}}
`))
