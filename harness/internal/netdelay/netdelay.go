// Package netdelay holds packets for a fixed time before the kernel sends them on: the network
// delay of a NetworkDelay fault on hosts whose kernel has no tc netem. An iptables rule sends a
// node's packets to a netfilter queue (NFQUEUE); a Delayer, in the node's network namespace,
// reads each packet's id from the queue and gives the kernel its verdict (accept) once the delay
// has passed. Packets keep their order: every packet waits the same time.
//
// The kernel keeps the packets; the delayer sees only their ids (copy mode "meta"). When the
// queue is full the kernel lets packets through undelayed (fail-open), and when no delayer
// listens the rule lets them through (--queue-bypass), so a delayer that stops never cuts a
// node off.
package netdelay

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/mdlayher/netlink"
	"github.com/ti-mo/netfilter"
)

// Netlink message types and attributes of the netfilter queue (linux/netfilter/nfnetlink_queue.h).
const (
	msgPacket  netfilter.MessageType = 0 // NFQNL_MSG_PACKET
	msgVerdict netfilter.MessageType = 1 // NFQNL_MSG_VERDICT
	msgConfig  netfilter.MessageType = 2 // NFQNL_MSG_CONFIG

	attrPacketHdr   = 1 // NFQA_PACKET_HDR
	attrVerdictHdr  = 2 // NFQA_VERDICT_HDR
	attrCfgCmd      = 1 // NFQA_CFG_CMD
	attrCfgParams   = 2 // NFQA_CFG_PARAMS
	attrCfgQueueMax = 3 // NFQA_CFG_QUEUE_MAXLEN
	attrCfgMask     = 4 // NFQA_CFG_MASK
	attrCfgFlags    = 5 // NFQA_CFG_FLAGS

	cmdBind       = 1 // NFQNL_CFG_CMD_BIND
	copyMeta      = 1 // NFQNL_COPY_META
	flagFailOpen  = 1 // NFQA_CFG_F_FAIL_OPEN
	verdictAccept = 1 // NF_ACCEPT
	familyIPv4    = 2 // AF_INET
)

// Conn is the part of a netlink connection a Delayer uses (a *netlink.Conn).
type Conn interface {
	Send(m netlink.Message) (netlink.Message, error)
	Receive() ([]netlink.Message, error)
}

// Delayer holds the packets of one netfilter queue for Delay each.
type Delayer struct {
	Conn  Conn
	Queue uint16
	Delay time.Duration
	// MaxLen is the most packets the kernel keeps waiting (default 16384); beyond it they pass
	// undelayed.
	MaxLen uint32
	// Now and Sleep stand in for the clock in tests (default time.Now and a timer).
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration)

	// Held counts the packets delayed, Late those whose verdict went out more than 10 ms after
	// their time (a sign that the delayer could not keep up).
	Held, Late int
}

// Dial opens a netlink connection to the netfilter subsystem of this network namespace.
func Dial() (*netlink.Conn, error) {
	c, err := netlink.Dial(netlinkNetfilter, nil)
	if err != nil {
		return nil, fmt.Errorf("open a netfilter netlink socket (needs CAP_NET_ADMIN): %w", err)
	}
	_ = c.SetReadBuffer(8 << 20)
	return c, nil
}

// netlinkNetfilter is NETLINK_NETFILTER.
const netlinkNetfilter = 12

// Bind makes the delayer the queue's listener: packets' metadata only, fail-open when full.
func (d *Delayer) Bind() error {
	maxLen := d.MaxLen
	if maxLen == 0 {
		maxLen = 16384
	}
	cmd := []byte{cmdBind, 0, 0, 0}
	binary.BigEndian.PutUint16(cmd[2:], familyIPv4)
	params := make([]byte, 5)
	binary.BigEndian.PutUint32(params, 0xffff)
	params[4] = copyMeta
	attrs := []netfilter.Attribute{
		{Type: attrCfgCmd, Data: cmd},
		{Type: attrCfgParams, Data: params},
		{Type: attrCfgQueueMax, Data: netfilter.Uint32Bytes(maxLen)},
		{Type: attrCfgMask, Data: netfilter.Uint32Bytes(flagFailOpen)},
		{Type: attrCfgFlags, Data: netfilter.Uint32Bytes(flagFailOpen)},
	}
	if err := d.send(msgConfig, attrs, netlink.Request|netlink.Acknowledge); err != nil {
		return fmt.Errorf("bind netfilter queue %d: %w", d.Queue, err)
	}
	// The acknowledgement, or the reason the kernel refused (another listener has the queue,
	// or no CAP_NET_ADMIN).
	if _, err := d.Conn.Receive(); err != nil {
		return fmt.Errorf("bind netfilter queue %d: %w", d.Queue, err)
	}
	return nil
}

func (d *Delayer) send(t netfilter.MessageType, attrs []netfilter.Attribute, flags netlink.HeaderFlags) error {
	m, err := netfilter.MarshalNetlink(netfilter.Header{SubsystemID: netfilter.NFSubsysQueue, MessageType: t,
		Family: netfilter.ProtoUnspec, ResourceID: d.Queue, Flags: flags}, attrs)
	if err != nil {
		return err
	}
	_, err = d.Conn.Send(m)
	return err
}

// verdict accepts one packet.
func (d *Delayer) verdict(id uint32) error {
	v := make([]byte, 8)
	binary.BigEndian.PutUint32(v, verdictAccept)
	binary.BigEndian.PutUint32(v[4:], id)
	return d.send(msgVerdict, []netfilter.Attribute{{Type: attrVerdictHdr, Data: v}}, netlink.Request)
}

// packetID returns the id of a queued packet's message, ok false for any other message.
func packetID(m netlink.Message) (uint32, bool) {
	h, attrs, err := netfilter.UnmarshalNetlink(m)
	if err != nil || h.SubsystemID != netfilter.NFSubsysQueue || h.MessageType != msgPacket {
		return 0, false
	}
	for _, a := range attrs {
		if a.Type == attrPacketHdr && len(a.Data) >= 4 {
			return binary.BigEndian.Uint32(a.Data), true
		}
	}
	return 0, false
}

type held struct {
	id  uint32
	due time.Time
}

// Run delays packets until ctx ends, then lets every packet still held go at once and returns
// (the kernel would drop the held packets of a listener that goes away). The connection must be
// closed by the caller after Run returns, and closing it is what ends a blocked Receive.
func (d *Delayer) Run(ctx context.Context) error {
	now, sleep := d.Now, d.Sleep
	if now == nil {
		now = time.Now
	}
	if sleep == nil {
		sleep = func(ctx context.Context, d time.Duration) {
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-ctx.Done():
			case <-t.C:
			}
		}
	}
	queue := make(chan held, 1<<16)
	recvErr := make(chan error, 1)
	go func() {
		for {
			msgs, err := d.Conn.Receive()
			if err != nil {
				if ctx.Err() != nil {
					recvErr <- nil
					return
				}
				var op *netlink.OpError
				if errors.As(err, &op) && op.Timeout() {
					continue
				}
				recvErr <- fmt.Errorf("read the netfilter queue: %w", err)
				return
			}
			t := now()
			for _, m := range msgs {
				if id, ok := packetID(m); ok {
					select {
					case queue <- held{id, t.Add(d.Delay)}:
					default: // more held than the channel holds: let it go now
						_ = d.verdict(id)
					}
				}
			}
		}
	}()
	for {
		select {
		case <-ctx.Done():
			for {
				select {
				case p := <-queue:
					_ = d.verdict(p.id)
				default:
					return nil
				}
			}
		case err := <-recvErr:
			return err
		case p := <-queue:
			if wait := p.due.Sub(now()); wait > 0 {
				sleep(ctx, wait)
			} else if -wait > 10*time.Millisecond {
				d.Late++
			}
			if err := d.verdict(p.id); err != nil {
				return fmt.Errorf("give the verdict of packet %d: %w", p.id, err)
			}
			d.Held++
		}
	}
}
