package kind

import (
	"context"
	"fmt"
	"strings"

	"github.com/zdt-dev/zdt/harness/chaos"
	"github.com/zdt-dev/zdt/harness/images"
	"github.com/zdt-dev/zdt/scenarios"
	"github.com/zdt-dev/zdt/scenarios/faults"
)

// networkDelay adds latency to every packet leaving a node (its eth0, on the Docker network),
// with tc netem inside the node container's network namespace: replies from its pods and its
// kubelet's traffic are late by the fault's delay. The undo removes the qdisc. The host's kernel
// must have sch_netem.
func (c nodeContainers) networkDelay(ctx context.Context, env *chaos.Env, f *faults.Fault) (chaos.Injection, error) {
	delay := fmt.Sprintf("%dus", f.Extra().Microseconds())
	return env.OnNodes(ctx, f, func(ctx context.Context, n chaos.Node) (func(context.Context) error, error) {
		if _, err := c.exec(ctx, n.Name, "tc", "qdisc", "add", "dev", "eth0", "root", "netem", "delay", delay); err != nil {
			if strings.Contains(err.Error(), "qdisc kind is unknown") {
				return nil, fmt.Errorf("%w (this host's kernel has no sch_netem, which tc netem needs: load it with modprobe sch_netem, or use a kernel that has it)", err)
			}
			return nil, err
		}
		return func(ctx context.Context) error {
			if _, err := c.exec(ctx, n.Name, "tc", "qdisc", "del", "dev", "eth0", "root"); err != nil && !gone(err) {
				return err
			}
			return nil
		}, nil
	})
}

// checkNetem fails before any cluster is created when the scenario delays the network and the
// host's kernel cannot (no sch_netem): a throwaway container without a network tries tc netem
// on its loopback.
func checkNetem(ctx context.Context, sc *scenarios.Scenario) error {
	uses := false
	for _, f := range sc.Spec.Faults {
		uses = uses || f.Kind == faults.NetworkDelay
	}
	if !uses {
		return nil
	}
	_, err := docker(ctx, nil, "run", "--rm", "--network", "none", "--cap-add", "NET_ADMIN", "--label", labelOwned+"=true",
		"--entrypoint", "tc", images.NodeImage(sc.Spec.Versions.From), "qdisc", "add", "dev", "lo", "root", "netem", "delay", "1ms")
	if err != nil {
		return fmt.Errorf("spec.faults: NetworkDelay needs tc netem in the nodes, and this host's kernel cannot (%v): load sch_netem (modprobe sch_netem) or run the scenario with --provider sim", err)
	}
	return nil
}
