package images

import (
	"bytes"
	"fmt"
	"net"
	"text/template"
)

// RouteAgentManifest returns the manifest of zdt's CNI for clusters of several nodes: each node's
// containerd gives pods addresses from the node's pod CIDR (cniTemplate), and the route agent, a
// DaemonSet on every node's host network, keeps a route to each other node's pod CIDR via that
// node's address, as kindnet does. image is the route agent's image. apiEndpoint, HOST:PORT,
// is where the agent reaches the API ("": the kubernetes Service, as in-cluster clients do).
// The manifest holds no template action, so kind can use it as a node image's default CNI.
func RouteAgentManifest(image, apiEndpoint string) (string, error) {
	if image == "" {
		return "", fmt.Errorf("the route agent's image is empty")
	}
	data := struct{ Image, APIHost, APIPort string }{Image: image}
	if apiEndpoint != "" {
		h, p, err := net.SplitHostPort(apiEndpoint)
		if err != nil {
			return "", fmt.Errorf("the route agent's API endpoint %q: %w", apiEndpoint, err)
		}
		data.APIHost, data.APIPort = h, p
	}
	var b bytes.Buffer
	if err := routeAgentTemplate.Execute(&b, data); err != nil {
		return "", fmt.Errorf("render the route agent manifest: %w", err)
	}
	return b.String(), nil
}

var routeAgentTemplate = template.Must(template.New("routeagent").Parse(`# zdt's CNI: ptp + host-local per node (containerd's CNI template) and a route agent.
apiVersion: v1
kind: ServiceAccount
metadata:
  name: zdt-route-agent
  namespace: kube-system
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: zdt-route-agent
rules:
  - apiGroups: [""]
    resources: ["nodes"]
    verbs: ["get", "list", "watch"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: zdt-route-agent
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: zdt-route-agent
subjects:
  - kind: ServiceAccount
    name: zdt-route-agent
    namespace: kube-system
---
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: zdt-route-agent
  namespace: kube-system
  labels:
    app: zdt-route-agent
spec:
  selector:
    matchLabels:
      app: zdt-route-agent
  updateStrategy:
    type: RollingUpdate
  template:
    metadata:
      labels:
        app: zdt-route-agent
    spec:
      serviceAccountName: zdt-route-agent
      hostNetwork: true
      priorityClassName: system-node-critical
      tolerations:
        - operator: Exists
      containers:
        - name: route-agent
          image: {{.Image}}
          imagePullPolicy: IfNotPresent
          env:
            - name: NODE_NAME
              valueFrom:
                fieldRef:
                  fieldPath: spec.nodeName
{{- if .APIHost}}
            # The API at the control plane endpoint rather than the kubernetes Service: the agent
            # starts on a new node before kube-proxy, and a Service address would leave the machine.
            - name: KUBERNETES_SERVICE_HOST
              value: "{{.APIHost}}"
            - name: KUBERNETES_SERVICE_PORT
              value: "{{.APIPort}}"
{{- end}}
          securityContext:
            capabilities:
              add: ["NET_ADMIN"]
          resources:
            requests:
              cpu: 10m
              memory: 20Mi
`))
