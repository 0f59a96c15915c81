// Command zdt-fault-agent does, inside a kind node's network namespace, the part of a fault
// that a command in the node cannot: `zdt-fault-agent delay` holds the packets an NFQUEUE rule
// sends it for a fixed delay (see harness/internal/netdelay). The kind provider runs it as
// a container sharing the node container's network (docker run --network container:NODE),
// for at most --for, and stops it when the fault ends.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/zdt-dev/zdt/harness/internal/netdelay"
)

func main() {
	if len(os.Args) < 2 || os.Args[1] != "delay" {
		fmt.Fprintln(os.Stderr, "usage: zdt-fault-agent delay --queue N --delay D --for T")
		os.Exit(2)
	}
	fs := flag.NewFlagSet("delay", flag.ExitOnError)
	queue := fs.Uint("queue", 0, "netfilter queue number the iptables NFQUEUE rule sends packets to")
	delay := fs.Duration("delay", 0, "how long each packet is held")
	limit := fs.Duration("for", time.Hour, "stop after this long even if never told to (the fault's duration and a margin)")
	_ = fs.Parse(os.Args[2:])
	if *queue == 0 || *queue > 65535 || *delay <= 0 || *limit <= 0 {
		log.Fatal("fault agent: --queue (1-65535), --delay and --for must be set and positive")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, *limit)
	defer cancel()

	conn, err := netdelay.Dial()
	if err != nil {
		log.Fatalf("fault agent: %v", err)
	}
	d := &netdelay.Delayer{Conn: conn, Queue: uint16(*queue), Delay: *delay}
	if err := d.Bind(); err != nil {
		log.Fatalf("fault agent: %v", err)
	}
	log.Printf("fault agent: holding the packets of queue %d for %v each, for at most %v", *queue, *delay, *limit)
	err = d.Run(ctx)
	conn.Close()
	log.Printf("fault agent: done: %d packets delayed, %d of them more than 10ms late", d.Held, d.Late)
	if err != nil {
		log.Fatalf("fault agent: %v", err)
	}
}
