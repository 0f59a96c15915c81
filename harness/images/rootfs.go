package images

// debianSuite is the Debian release node and helper images are made from.
const debianSuite = "bookworm"

// nodePackages are the Debian packages of a kind node: systemd as init, containerd and runc, the
// CNI plugins, and the tools kubeadm, the kubelet, kube-proxy and kind's scripts call.
var nodePackages = []string{
	"systemd", "systemd-sysv", "dbus", "containerd", "runc", "containernetworking-plugins",
	"iptables", "nftables", "conntrack", "iproute2", "ethtool", "util-linux", "mount", "kmod",
	"libseccomp2", "pigz", "fuse-overlayfs", "ca-certificates", "curl", "jq", "procps", "socat",
	"ebtables", "bash",
}

// haproxyPackages make the load balancer image (Cluster API Docker provider's API load balancer
// and the edge load balancer in front of the sample app).
var haproxyPackages = []string{"haproxy", "ca-certificates"}
