package isolation

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
)

// A Service's cluster IP exists only in kube-proxy's rules: a packet sent to it before kube-proxy
// has programmed the Service (the API's own Service while a node starts, a webhook's Service
// just created) is not translated, follows the node's default route and reaches the host, which
// would send it off the machine (make docker-setup's rule refuses it there). zdt's nodes refuse
// such packets themselves: a kubelet drop-in adds, before the kubelet and so before any pod or
// kube-proxy starts, an iptables REJECT for packets still addressed to the service range when
// they leave through eth0 (the node's Docker network). Translated packets carry a pod's or a
// node's address by then (the filter table runs after kube-proxy's DNAT) and pass; the client
// sees the same immediate refusal as from the host.

// ServiceRangeDropInPath is where the drop-in is mounted in every node.
const ServiceRangeDropInPath = "/etc/systemd/system/kubelet.service.d/05-zdt-service-range.conf"

// ServiceRangeRuleComment names the nodes' rules, as the host's rule is named zdt-no-egress.
const ServiceRangeRuleComment = "zdt-service-range"

// serviceRangeDropIn is the drop-in's text for cidr. systemd substitutes $VAR in ExecStartPre,
// hence $$c; the leading "-" keeps a failed iptables from stopping the kubelet.
func serviceRangeDropIn(cidr string) string {
	rule := fmt.Sprintf("-d %s -o eth0 -m comment --comment %s -j REJECT", cidr, ServiceRangeRuleComment)
	return fmt.Sprintf(`# zdt: packets still addressed to the service range %s when they leave the node (kube-proxy has
# not programmed the Service yet) are refused here instead of following the default route off the
# machine.
[Service]
ExecStartPre=-/bin/sh -c 'for c in OUTPUT FORWARD; do iptables -w 5 -C $$c %s 2>/dev/null || iptables -w 5 -I $$c %s; done'
`, cidr, rule, rule)
}

// WriteServiceRangeDropIn writes the drop-in for cidr under dir and returns its path on the host,
// for a node's extra mount at ServiceRangeDropInPath.
func WriteServiceRangeDropIn(dir, cidr string) (string, error) {
	p, err := netip.ParsePrefix(cidr)
	if err != nil || !p.Addr().Is4() {
		return "", fmt.Errorf("service range %q: want an IPv4 CIDR such as 10.96.0.0/12", cidr)
	}
	p = p.Masked()
	// Docker mounts host paths, and only absolute ones.
	if dir, err = filepath.Abs(dir); err != nil {
		return "", fmt.Errorf("service range drop-in: %w", err)
	}
	path := filepath.Join(dir, "kubelet-service-range-"+strings.NewReplacer(".", "-", "/", "_").Replace(p.String())+".conf")
	want := serviceRangeDropIn(p.String())
	if have, err := os.ReadFile(path); err == nil && string(have) == want {
		return path, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("service range drop-in: %w", err)
	}
	f, err := os.CreateTemp(dir, ".drop-in-")
	if err != nil {
		return "", fmt.Errorf("service range drop-in: %w", err)
	}
	_, werr := f.WriteString(want)
	if err := errors.Join(werr, f.Chmod(0o644), f.Close()); err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("service range drop-in: %w", err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("service range drop-in: %w", err)
	}
	return path, nil
}
