package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// routeProtocol marks the routes the agent owns, so that it removes only its own stale routes.
const routeProtocol = netlink.RouteProtocol(77)

const (
	saDir    = "/var/run/secrets/kubernetes.io/serviceaccount"
	interval = 2 * time.Second
)

// node is the part of a Node the agent reads.
type node struct {
	Metadata struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Spec struct {
		PodCIDRs []string `json:"podCIDRs"`
	} `json:"spec"`
	Status struct {
		Addresses []struct {
			Type    string `json:"type"`
			Address string `json:"address"`
		} `json:"addresses"`
	} `json:"status"`
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	self := os.Getenv("NODE_NAME")
	client, base, err := inCluster()
	if err != nil {
		log.Fatalf("route agent: %v", err)
	}
	log.Printf("route agent on node %s, API %s", self, base)
	for {
		if err := sync(ctx, client, base, self); err != nil {
			log.Printf("route agent: %v", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(interval):
		}
	}
}

// inCluster returns an HTTP client that authenticates with the pod's service account token.
func inCluster() (*http.Client, string, error) {
	host, port := os.Getenv("KUBERNETES_SERVICE_HOST"), os.Getenv("KUBERNETES_SERVICE_PORT")
	if host == "" || port == "" {
		return nil, "", fmt.Errorf("not in a cluster: KUBERNETES_SERVICE_HOST/PORT unset")
	}
	ca, err := os.ReadFile(saDir + "/ca.crt")
	if err != nil {
		return nil, "", fmt.Errorf("read the cluster CA: %w", err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}, "https://" + net.JoinHostPort(host, port), nil
}

// sync lists the nodes and makes this node's routes match them.
func sync(ctx context.Context, client *http.Client, base, self string) error {
	token, err := os.ReadFile(saDir + "/token")
	if err != nil {
		return fmt.Errorf("read the service account token: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/v1/nodes", nil)
	if err != nil {
		return fmt.Errorf("list nodes: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(token)))
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("list nodes: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("list nodes: %s", resp.Status)
	}
	var list struct {
		Items []node `json:"items"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		return fmt.Errorf("decode nodes: %w", err)
	}
	want := map[string]netlink.Route{}
	for _, n := range list.Items {
		if n.Metadata.Name == self {
			// Pod addresses that no route leads to yet must fail here, not follow the
			// default route off the machine: an unreachable route for the whole pod range,
			// under the more specific ones.
			if r, ok := podRangeRoute(n); ok {
				want[r.Dst.String()] = r
			}
			continue
		}
		for _, cidr := range n.Spec.PodCIDRs {
			_, dst, err := net.ParseCIDR(cidr)
			if err != nil {
				continue
			}
			gw := nodeIP(n, dst.IP.To4() != nil)
			if gw == nil {
				continue
			}
			want[dst.String()] = netlink.Route{Dst: dst, Gw: gw, Protocol: routeProtocol}
		}
	}
	for _, r := range want {
		if err := netlink.RouteReplace(&r); err != nil {
			log.Printf("route %s via %s: %v", r.Dst, r.Gw, err)
		}
	}
	for _, family := range []int{netlink.FAMILY_V4, netlink.FAMILY_V6} {
		have, err := netlink.RouteListFiltered(family, &netlink.Route{Protocol: routeProtocol}, netlink.RT_FILTER_PROTOCOL)
		if err != nil {
			return fmt.Errorf("list routes: %w", err)
		}
		for _, r := range have {
			if r.Dst == nil {
				continue
			}
			if _, ok := want[r.Dst.String()]; !ok {
				if err := netlink.RouteDel(&r); err != nil {
					log.Printf("remove route %s: %v", r.Dst, err)
				} else {
					log.Printf("removed route %s: its node is gone", r.Dst)
				}
			}
		}
	}
	return nil
}

// nodeIP returns a node's internal address of the family asked for.
func nodeIP(n node, v4 bool) net.IP {
	for _, a := range n.Status.Addresses {
		if a.Type != "InternalIP" {
			continue
		}
		ip := net.ParseIP(a.Address)
		if ip != nil && (ip.To4() != nil) == v4 {
			return ip
		}
	}
	return nil
}

// podRangeRoute returns an unreachable route for the cluster's pod range: CLUSTER_CIDR when set,
// otherwise the /16 that holds this node's pod CIDR (zdt's clusters allocate /24s out of a /16).
func podRangeRoute(self node) (netlink.Route, bool) {
	cidr := os.Getenv("CLUSTER_CIDR")
	if cidr == "" {
		for _, c := range self.Spec.PodCIDRs {
			ip, _, err := net.ParseCIDR(c)
			if err != nil || ip.To4() == nil {
				continue
			}
			cidr = (&net.IPNet{IP: ip.Mask(net.CIDRMask(16, 32)), Mask: net.CIDRMask(16, 32)}).String()
			break
		}
	}
	_, dst, err := net.ParseCIDR(cidr)
	if err != nil {
		return netlink.Route{}, false
	}
	return netlink.Route{Dst: dst, Type: unix.RTN_UNREACHABLE, Protocol: routeProtocol}, true
}
