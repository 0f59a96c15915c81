package netdelay

import (
	"context"
	"encoding/binary"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/mdlayher/netlink"
	"github.com/ti-mo/netfilter"
)

// fakeConn plays the kernel's side of a netfilter queue.
type fakeConn struct {
	recv chan []netlink.Message
	mu   sync.Mutex
	sent []netlink.Message
}

func (c *fakeConn) Send(m netlink.Message) (netlink.Message, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sent = append(c.sent, m)
	return m, nil
}

func (c *fakeConn) Receive() ([]netlink.Message, error) {
	msgs, ok := <-c.recv
	if !ok {
		return nil, errors.New("use of closed file")
	}
	return msgs, nil
}

func (c *fakeConn) verdicts(t *testing.T) []uint32 {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	var ids []uint32
	for _, m := range c.sent {
		h, attrs, err := netfilter.UnmarshalNetlink(m)
		if err != nil {
			t.Fatal(err)
		}
		if h.MessageType != msgVerdict {
			continue
		}
		if h.ResourceID != 1234 || len(attrs) != 1 || attrs[0].Type != attrVerdictHdr || binary.BigEndian.Uint32(attrs[0].Data) != verdictAccept {
			t.Fatalf("verdict %+v %+v, want accept on queue 1234", h, attrs)
		}
		ids = append(ids, binary.BigEndian.Uint32(attrs[0].Data[4:]))
	}
	return ids
}

func packet(t *testing.T, id uint32) netlink.Message {
	t.Helper()
	hdr := make([]byte, 7)
	binary.BigEndian.PutUint32(hdr, id)
	m, err := netfilter.MarshalNetlink(netfilter.Header{SubsystemID: netfilter.NFSubsysQueue, MessageType: msgPacket, ResourceID: 1234},
		[]netfilter.Attribute{{Type: attrPacketHdr, Data: hdr}})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestBindAsksForMetadataAndFailOpen(t *testing.T) {
	c := &fakeConn{recv: make(chan []netlink.Message, 1)}
	c.recv <- nil // the acknowledgement
	d := &Delayer{Conn: c, Queue: 1234, Delay: time.Second}
	if err := d.Bind(); err != nil {
		t.Fatal(err)
	}
	h, attrs, err := netfilter.UnmarshalNetlink(c.sent[0])
	if err != nil {
		t.Fatal(err)
	}
	if h.MessageType != msgConfig || h.ResourceID != 1234 || h.Flags&netlink.Acknowledge == 0 {
		t.Fatalf("header %+v", h)
	}
	got := map[uint16][]byte{}
	for _, a := range attrs {
		got[a.Type] = a.Data
	}
	if cmd := got[attrCfgCmd]; len(cmd) != 4 || cmd[0] != cmdBind || binary.BigEndian.Uint16(cmd[2:]) != familyIPv4 {
		t.Errorf("command %v, want bind for IPv4", cmd)
	}
	if p := got[attrCfgParams]; len(p) != 5 || p[4] != copyMeta {
		t.Errorf("params %v, want copy mode meta", p)
	}
	if binary.BigEndian.Uint32(got[attrCfgFlags]) != flagFailOpen || binary.BigEndian.Uint32(got[attrCfgMask]) != flagFailOpen {
		t.Errorf("flags %v mask %v, want fail-open", got[attrCfgFlags], got[attrCfgMask])
	}
	if binary.BigEndian.Uint32(got[attrCfgQueueMax]) != 16384 {
		t.Errorf("queue length %v", got[attrCfgQueueMax])
	}
}

// Each packet is accepted once its delay has passed since it arrived, in order.
func TestRunHoldsEachPacketForTheDelay(t *testing.T) {
	c := &fakeConn{recv: make(chan []netlink.Message)}
	start := time.Unix(1000, 0)
	var mu sync.Mutex
	now := start
	var slept []time.Duration
	d := &Delayer{Conn: c, Queue: 1234, Delay: 200 * time.Millisecond,
		Now: func() time.Time { mu.Lock(); defer mu.Unlock(); return now },
		Sleep: func(_ context.Context, s time.Duration) {
			mu.Lock()
			defer mu.Unlock()
			slept = append(slept, s)
			now = now.Add(s)
		}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- d.Run(ctx) }()
	c.recv <- []netlink.Message{packet(t, 7), packet(t, 8)} // both at t+0
	waitFor(t, func() bool { return len(c.verdicts(t)) == 2 })
	mu.Lock()
	now = now.Add(50 * time.Millisecond) // t+250ms
	mu.Unlock()
	c.recv <- []netlink.Message{packet(t, 9)}
	waitFor(t, func() bool { return len(c.verdicts(t)) == 3 })
	cancel()
	close(c.recv)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if ids := c.verdicts(t); ids[0] != 7 || ids[1] != 8 || ids[2] != 9 {
		t.Errorf("verdicts %v, want 7 8 9", ids)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(slept) != 2 || slept[0] != 200*time.Millisecond || slept[1] != 200*time.Millisecond {
		t.Errorf("slept %v, want 200ms before packet 7 and 200ms before packet 9 (8 was due with 7)", slept)
	}
	if d.Held != 3 || d.Late != 0 {
		t.Errorf("held %d late %d", d.Held, d.Late)
	}
}

// A delayer that stops lets what it holds go: the kernel would drop it otherwise.
func TestRunReleasesHeldPacketsWhenItStops(t *testing.T) {
	c := &fakeConn{recv: make(chan []netlink.Message)}
	ctx, cancel := context.WithCancel(context.Background())
	d := &Delayer{Conn: c, Queue: 1234, Delay: time.Hour}
	done := make(chan error)
	go func() { done <- d.Run(ctx) }()
	c.recv <- []netlink.Message{packet(t, 1), packet(t, 2), packet(t, 3)}
	c.recv <- nil // taken once the three are held (for an hour)
	if n := len(c.verdicts(t)); n != 0 {
		t.Fatalf("%d verdicts before the delay", n)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	close(c.recv)
	if ids := c.verdicts(t); len(ids) != 3 {
		t.Errorf("verdicts %v, want all three packets released", ids)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for range 500 {
		if cond() {
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatal("timed out")
}
