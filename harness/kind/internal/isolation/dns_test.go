package isolation

import (
	"strings"
	"testing"
)

// kind's and kubeadm's Corefile loses its forward block and loop probe, and keeps the rest.
func TestClusterOnlyCorefile(t *testing.T) {
	in := `.:53 {
    errors
    health {
       lameduck 5s
    }
    ready
    kubernetes cluster.local in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
    prometheus :9153
    forward . /etc/resolv.conf {
       max_concurrent 1000
    }
    cache 30 {
       disable success cluster.local
       disable denial cluster.local
    }
    loop
    reload
    loadbalance
}
`
	out, changed := clusterOnlyCorefile(in)
	if !changed || strings.Contains(out, "forward") || strings.Contains(out, "max_concurrent") || strings.Contains(out, "loop\n") {
		t.Fatalf("changed %v:\n%s", changed, out)
	}
	for _, keep := range []string{"kubernetes cluster.local", "cache 30 {", "disable denial cluster.local\n    }", "reload", "loadbalance", "health {"} {
		if !strings.Contains(out, keep) {
			t.Errorf("lost %q:\n%s", keep, out)
		}
	}
	if again, changed := clusterOnlyCorefile(out); changed || again != out {
		t.Errorf("a second pass changed it again")
	}
	if _, changed := clusterOnlyCorefile(".:53 {\n    forward . 8.8.8.8\n    cache 30\n}\n"); !changed {
		t.Error("a one-line forward: want it removed")
	}
}
