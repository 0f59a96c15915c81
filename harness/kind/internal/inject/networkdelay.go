package inject

import (
	"context"
	"fmt"
	"hash/fnv"
	"os/exec"
	"regexp"
	"strings"
	"time"

	"github.com/zdt-dev/zdt/harness/chaos"
	"github.com/zdt-dev/zdt/harness/images"
	"github.com/zdt-dev/zdt/harness/kind/internal/dockercli"
	"github.com/zdt-dev/zdt/scenarios"
	"github.com/zdt-dev/zdt/scenarios/faults"
)

// DelayMethod is how the nodes' packets are delayed on this host.
type DelayMethod int

const (
	// DelayNetem: tc netem on the node's eth0, where the host's kernel has sch_netem.
	DelayNetem DelayMethod = iota
	// DelayQueue: an iptables NFQUEUE rule sends the packets leaving the node's eth0 to zdt's
	// fault agent, which holds each for the delay (harness/internal/netdelay), for kernels
	// without netem.
	DelayQueue
)

func (m DelayMethod) String() string {
	if m == DelayQueue {
		return "an NFQUEUE rule and zdt's fault agent"
	}
	return "tc netem"
}

// networkDelay adds latency to every packet leaving a node (its eth0, on the Docker network),
// inside the node container's network namespace: replies from its pods and its kubelet's
// traffic are late by the fault's delay. The undo removes the qdisc, or the rule and then the
// fault agent.
func (c nodeContainers) networkDelay(ctx context.Context, env *chaos.Env, f *faults.Fault) (chaos.Injection, error) {
	return env.OnNodes(ctx, f, func(ctx context.Context, n chaos.Node) (func(context.Context) error, error) {
		if c.delay == DelayQueue {
			return c.queueDelay(ctx, n.Name, f)
		}
		delay := fmt.Sprintf("%dus", f.Extra().Microseconds())
		if _, err := c.exec(ctx, n.Name, "tc", "qdisc", "add", "dev", "eth0", "root", "netem", "delay", delay); err != nil {
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

// queueDelay starts the fault agent in the node's network namespace, then sends the node's
// outgoing packets to it. The agent stops by itself at the latest a minute after the fault's
// end (two hours for a fault that lasts until the end of the run), and the rule lets packets
// through undelayed when no agent listens, so neither outlives the fault for long even if zdt
// is killed.
func (c nodeContainers) queueDelay(ctx context.Context, node string, f *faults.Fault) (func(context.Context) error, error) {
	if _, err := c.container(ctx, node); err != nil {
		return nil, err
	}
	queue := queueNumber(f.Name)
	agent := agentName(node, f.Name)
	limit := faultLimit(f, time.Minute)
	if _, err := dockercli.Run(ctx, nil, "run", "-d", "--rm", "--name", agent, "--network", "container:"+node, "--cap-add", "NET_ADMIN",
		"--label", dockercli.LabelOwned+"=true", "--label", dockercli.LabelRun+"="+c.cluster,
		images.FaultAgentImage, "delay", "--queue", fmt.Sprint(queue), "--delay", f.Extra().String(), "--for", limit.String()); err != nil {
		return nil, fmt.Errorf("start the fault agent: %w", err)
	}
	stopAgent := func(ctx context.Context) error {
		if _, err := dockercli.Run(ctx, nil, "stop", "-t", "10", agent); err != nil && !gone(err) {
			return err
		}
		return nil
	}
	if err := waitAgent(ctx, agent); err != nil {
		return nil, joinUndo(err, stopAgent(context.WithoutCancel(ctx)))
	}
	rule := []string{"POSTROUTING", "-t", "mangle", "-o", "eth0", "-m", "comment", "--comment", "zdt-fault " + f.Name,
		"-j", "NFQUEUE", "--queue-num", fmt.Sprint(queue), "--queue-bypass"}
	if _, err := c.exec(ctx, node, append([]string{"iptables", "-I"}, rule...)...); err != nil {
		return nil, joinUndo(err, stopAgent(context.WithoutCancel(ctx)))
	}
	return func(ctx context.Context) error {
		if _, err := c.exec(ctx, node, append([]string{"iptables", "-D"}, rule...)...); err != nil && !gone(err) {
			return joinUndo(err, stopAgent(ctx))
		}
		return stopAgent(ctx)
	}, nil
}

// waitAgent waits (at most 10 s) until the fault agent says it holds the queue, or fails with
// what it said when it exited.
func waitAgent(ctx context.Context, agent string) error {
	logs := func() (string, error) { // the agent logs to its stderr
		out, err := exec.CommandContext(ctx, "docker", "logs", agent).CombinedOutput()
		return strings.TrimSpace(string(out)), err
	}
	for range 40 {
		out, err := logs()
		if strings.Contains(out, "holding the packets") {
			return nil
		}
		if err != nil {
			return fmt.Errorf("the fault agent exited: %v: %s", err, out)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
	out, _ := logs()
	return fmt.Errorf("the fault agent %s did not bind its queue within 10s: %s", agent, out)
}

func joinUndo(err, undoErr error) error {
	if undoErr == nil {
		return err
	}
	return fmt.Errorf("%w (and undoing it: %v)", err, undoErr)
}

// queueNumber is the fault's netfilter queue, in 1000-60999: queues are per network namespace,
// so only two faults on one node need distinct numbers, and distinct names give them.
func queueNumber(fault string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(fault))
	return 1000 + h.Sum32()%60000
}

var unsafeName = regexp.MustCompile(`[^a-zA-Z0-9_.-]+`)

// agentName is the fault agent's container name for a node and fault.
func agentName(node, fault string) string {
	return node + "-zdt-fault-" + unsafeName.ReplaceAllString(fault, "-")
}

// CheckNetworkDelay chooses, before any cluster is created, how this host delays the nodes'
// packets when the scenario has a NetworkDelay fault, or fails with what to do: tc netem where
// the kernel has sch_netem, else an NFQUEUE rule and zdt's fault agent. Each is tried in a
// throwaway container without a network.
func CheckNetworkDelay(ctx context.Context, sc *scenarios.Scenario) (DelayMethod, error) {
	uses := false
	for _, f := range sc.Spec.Faults {
		uses = uses || f.Kind == faults.NetworkDelay
	}
	if !uses {
		return DelayNetem, nil
	}
	try := func(cmd ...string) error {
		args := append([]string{"run", "--rm", "--network", "none", "--cap-add", "NET_ADMIN", "--label", dockercli.LabelOwned + "=true",
			"--entrypoint", cmd[0], images.NodeImage(sc.Spec.Versions.From)}, cmd[1:]...)
		_, err := dockercli.Run(ctx, nil, args...)
		return err
	}
	netemErr := try("tc", "qdisc", "add", "dev", "lo", "root", "netem", "delay", "1ms")
	if netemErr == nil {
		return DelayNetem, nil
	}
	queueErr := try("iptables", "-t", "mangle", "-A", "POSTROUTING", "-o", "lo", "-j", "NFQUEUE", "--queue-num", "1000", "--queue-bypass")
	if queueErr == nil {
		if _, err := dockercli.Run(ctx, nil, "image", "inspect", "--format", "{{.Id}}", images.FaultAgentImage); err != nil {
			return 0, fmt.Errorf("spec.faults: NetworkDelay needs zdt's fault agent image %s on this host (this kernel has no tc netem): run make images", images.FaultAgentImage)
		}
		return DelayQueue, nil
	}
	return 0, fmt.Errorf("spec.faults: NetworkDelay needs tc netem or the NFQUEUE iptables target in the nodes, and this host's kernel has neither (%v; %v): load sch_netem (modprobe sch_netem) or xt_NFQUEUE, or run the scenario with --provider sim", netemErr, queueErr)
}
