package inject

import (
	"context"
	"errors"

	"github.com/zdt-dev/zdt/harness/chaos"
	"github.com/zdt-dev/zdt/scenarios/faults"
)

// networkPartition cuts a node off the network inside its own container's network namespace:
// iptables rules drop every packet in or out of its eth0 (the Docker network), its pods' traffic
// included. Processes keep running; neither the load balancers nor the other nodes reach it, and
// its kubelet cannot report. The undo deletes exactly those rules.
func (c nodeContainers) networkPartition(ctx context.Context, env *chaos.Env, f *faults.Fault) (chaos.Injection, error) {
	return env.OnNodes(ctx, f, func(ctx context.Context, n chaos.Node) (func(context.Context) error, error) {
		rules := partitionRules(f.Name)
		var added [][]string
		undo := func(ctx context.Context) error {
			for _, r := range added {
				if _, err := c.exec(ctx, n.Name, append([]string{"iptables", "-D"}, r...)...); err != nil && !gone(err) {
					return err
				}
			}
			return nil
		}
		for _, r := range rules {
			if _, err := c.exec(ctx, n.Name, append([]string{"iptables", "-I"}, r...)...); err != nil {
				return nil, errors.Join(err, undo(context.WithoutCancel(ctx)))
			}
			added = append(added, r)
		}
		return undo, nil
	})
}

// partitionRules are the chain and match of each rule, tagged with the fault's name.
func partitionRules(fault string) [][]string {
	tag := []string{"-m", "comment", "--comment", "zdt-fault " + fault, "-j", "DROP"}
	var out [][]string
	for _, r := range [][]string{{"INPUT", "-i", "eth0"}, {"OUTPUT", "-o", "eth0"}, {"FORWARD", "-i", "eth0"}, {"FORWARD", "-o", "eth0"}} {
		out = append(out, append(r, tag...))
	}
	return out
}
