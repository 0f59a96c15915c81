package loadgen

import (
	"fmt"
	"net/netip"
	"net/url"
	"slices"
)

// CheckTarget refuses any address zdt must not send traffic to. zdt sends load only to the
// loopback address (127.0.0.1, ::1) or to an address in allow, which a real provider fills with
// the addresses of containers it created itself. The host must be an IP address: a name could
// resolve anywhere.
func CheckTarget(rawURL string, allow []netip.Addr) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return fmt.Errorf("target %q: %w", rawURL, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("target %q: scheme must be http or https", rawURL)
	}
	host := u.Hostname()
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("target %q: host %q is not an IP address; zdt sends traffic only to 127.0.0.1 or to containers it created", rawURL, host)
	}
	addr = addr.Unmap()
	if addr.IsLoopback() || slices.Contains(allow, addr) {
		return nil
	}
	return fmt.Errorf("target %q: refusing to send traffic to %s: only loopback addresses and containers zdt created (the allow-list) may be targeted", rawURL, addr)
}

// isLoopback reports whether rawURL's host is a loopback IP address.
func isLoopback(rawURL string) bool {
	u, err := url.Parse(rawURL)
	if err != nil {
		return false
	}
	addr, err := netip.ParseAddr(u.Hostname())
	return err == nil && addr.Unmap().IsLoopback()
}
