package images

import (
	"fmt"
	"regexp"
	"strings"
)

// cniTemplatePath is where a node's containerd finds the CNI configuration template it renders
// with the node's pod CIDR once the kubelet knows it.
const cniTemplatePath = "/etc/containerd/cni-template.json"

var (
	restrictOOMLine = regexp.MustCompile(`(?m)^(\s*)restrict_oom_score_adj\s*=\s*(true|false)\s*$`)
	sandboxLine     = regexp.MustCompile(`(?m)^(\s*)sandbox_image\s*=\s*"[^"]*"\s*$`)
)

// nodeContainerdConfig renders a node's containerd configuration from kind's (its base image's
// /etc/containerd/config.toml, version 2 as Debian's containerd reads it) with three changes:
//   - restrict_oom_score_adj = true: where the host withholds CAP_SYS_RESOURCE, containerd may
//     not give a container a lower oom_score_adj than its own, or every pod sandbox fails with
//     "can't get final child's PID from pipe: EOF";
//   - sandbox_image is the pause image kubeadm expects, which zdt preloads;
//   - the CRI's CNI configuration comes from cniTemplatePath, rendered per node with its pod CIDR.
func nodeContainerdConfig(kindConfig, pauseImage string) (string, error) {
	if !restrictOOMLine.MatchString(kindConfig) {
		return "", fmt.Errorf("kind's containerd config has no restrict_oom_score_adj setting to change")
	}
	if !sandboxLine.MatchString(kindConfig) {
		return "", fmt.Errorf("kind's containerd config has no sandbox_image setting to change")
	}
	if strings.Contains(kindConfig, `[plugins."io.containerd.grpc.v1.cri".cni]`) {
		return "", fmt.Errorf("kind's containerd config already configures the CRI's CNI")
	}
	out := restrictOOMLine.ReplaceAllString(kindConfig, "${1}restrict_oom_score_adj = true")
	out = sandboxLine.ReplaceAllString(out, fmt.Sprintf("${1}sandbox_image = %q", pauseImage))
	out = strings.TrimRight(out, "\n") + fmt.Sprintf(`

# zdt: every node's CNI configuration is rendered from this template with the pod CIDR the
# controller manager gave the node (ptp + host-local); zdt's route agent routes between nodes.
[plugins."io.containerd.grpc.v1.cri".cni]
  bin_dir = "/opt/cni/bin"
  conf_dir = "/etc/cni/net.d"
  conf_template = %q
`, cniTemplatePath)
	return out, nil
}

// cniTemplate is the CNI configuration template a node's containerd renders: a point-to-point
// veth per pod, addresses from the node's pod CIDR, masquerade of traffic leaving it, host ports.
const cniTemplate = `{
  "cniVersion": "0.4.0",
  "name": "zdt",
  "plugins": [
    {
      "type": "ptp",
      "ipMasq": true,
      "mtu": 1500,
      "ipam": {
        "type": "host-local",
        "ranges": [[{"subnet": "{{.PodCIDR}}"}]],
        "routes": [{"dst": "0.0.0.0/0"}]
      }
    },
    {
      "type": "portmap",
      "capabilities": {"portMappings": true}
    }
  ]
}
`

// kubeletDefaults renders /etc/default/kubelet: kind's extra arguments plus --fail-cgroupv1=false,
// so that the kubelet of every node (made by kind or by the Cluster API Docker provider) runs on
// a cgroup v1 host.
func kubeletDefaults(kindDefaults string) string {
	line := strings.TrimSpace(kindDefaults)
	if !strings.HasPrefix(line, "KUBELET_EXTRA_ARGS=") {
		line = "KUBELET_EXTRA_ARGS="
	}
	if strings.Contains(line, "--fail-cgroupv1") {
		return line + "\n"
	}
	if strings.HasSuffix(line, "=") {
		return line + "--fail-cgroupv1=false\n"
	}
	return line + " --fail-cgroupv1=false\n"
}
