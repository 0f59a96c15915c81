package loadgen

import (
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"strings"
)

// localhost is the one host name zdt accepts in a target: RFC 6761 reserves it for the loopback
// address, so zdt rewrites it to 127.0.0.1 itself rather than asking a resolver.
const localhost = "localhost"

// Target is a URL zdt may send traffic to, as ResolveTarget returns it.
type Target struct {
	// URL has an IP address for its host.
	URL string
	// ServerName is the host name a TLS certificate is checked against when the URL the user
	// gave named one (localhost); empty otherwise.
	ServerName string
}

// ResolveTarget is zdt's one rule for where traffic may go, used for every load target, the API
// prober and every URL a user or a kubeconfig gives. The URL must be http or https, and its host
// a loopback address (127.0.0.1, ::1, or the name localhost, rewritten to 127.0.0.1) or an
// address in allow, which a real provider fills with the addresses of containers it created.
// Any other host name is refused: it could resolve anywhere.
func ResolveTarget(rawURL string, allow []netip.Addr) (Target, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return Target{}, fmt.Errorf("target %q: %w", rawURL, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return Target{}, fmt.Errorf("target %q: scheme must be http or https", rawURL)
	}
	t := Target{ServerName: rewriteLocalhost(u)}
	host := u.Hostname()
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return Target{}, fmt.Errorf("target %q: host %q is not an IP address nor localhost; zdt sends traffic only to 127.0.0.1 or to containers it created", rawURL, host)
	}
	addr = addr.Unmap()
	if !addr.IsLoopback() && !slices.Contains(allow, addr) {
		return Target{}, fmt.Errorf("target %q: refusing to send traffic to %s: only loopback addresses and containers zdt created (the allow-list) may be targeted", rawURL, addr)
	}
	t.URL = u.String()
	return t, nil
}

// rewriteLocalhost replaces a host of localhost by 127.0.0.1 and returns "localhost", the name
// a certificate is then checked against; it returns "" and leaves u alone otherwise.
func rewriteLocalhost(u *url.URL) string {
	if !strings.EqualFold(u.Hostname(), localhost) {
		return ""
	}
	host := "127.0.0.1"
	if p := u.Port(); p != "" {
		host += ":" + p
	}
	u.Host = host
	return localhost
}

// CheckTarget refuses any URL the attacker must not send to: one ResolveTarget refuses, or one
// that still names a host (ResolveTarget's URL must be passed instead, so that the attacker
// never resolves a name).
func CheckTarget(rawURL string, allow []netip.Addr) error {
	t, err := ResolveTarget(rawURL, allow)
	if err != nil {
		return err
	}
	if t.ServerName != "" {
		return fmt.Errorf("target %q: pass the address ResolveTarget gives (%s), not the name", rawURL, t.URL)
	}
	return nil
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
