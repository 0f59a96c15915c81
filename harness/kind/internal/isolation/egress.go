package isolation

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"

	"github.com/zdt-dev/zdt/model"
)

// make docker-setup makes the host refuse every packet a container sends off the machine (an
// iptables REJECT rule commented zdt-no-egress in DOCKER-USER) and log each refused packet's
// destination (prefix zdt-no-egress:). A kind run reads the rule's counters when it starts and
// when it ends, and the log lines in between, to say in its report what its containers tried to
// reach: the machine has zdt's clusters to itself during a run, so the difference is theirs.

const (
	egressComment   = "/* zdt-no-egress */"
	egressLogPrefix = "zdt-no-egress:"
)

// EgressMark is the counters and the kernel's clock when a run started.
type EgressMark struct {
	packets, bytes int64
	// uptime is /proc/uptime's first field: the kernel log's timestamps count from boot.
	uptime float64
	err    error
}

// MarkEgress reads the counters and the kernel's clock now, at the start of a run; a mark that
// could not be read makes Since say why.
func MarkEgress(ctx context.Context) EgressMark {
	var m EgressMark
	m.packets, m.bytes, m.err = readRefused(ctx)
	if m.err == nil {
		m.uptime, m.err = uptime()
	}
	return m
}

// Since returns what the rule refused since m.
func (m EgressMark) Since(ctx context.Context) *model.Egress {
	if m.err != nil {
		return &model.Egress{Reason: m.err.Error()}
	}
	p, b, err := readRefused(ctx)
	if err != nil {
		return &model.Egress{Reason: err.Error()}
	}
	e := &model.Egress{Measured: true, Refused: p - m.packets, Bytes: b - m.bytes}
	if e.Refused > 0 {
		out, err := exec.CommandContext(ctx, "dmesg").Output()
		if err == nil {
			e.Destinations = parseEgressLog(out, m.uptime)
		}
	}
	return e
}

// readRefused sums the packets and bytes of the zdt-no-egress REJECT rules.
func readRefused(ctx context.Context) (packets, bytes int64, err error) {
	if os.Geteuid() != 0 {
		return 0, 0, fmt.Errorf("not root: the host's packet filter counters cannot be read")
	}
	out, err := exec.CommandContext(ctx, "iptables", "-w", "5", "-L", "DOCKER-USER", "-v", "-x", "-n").Output()
	if err != nil {
		return 0, 0, fmt.Errorf("iptables -L DOCKER-USER: %w (run make docker-setup)", err)
	}
	return parseRefused(out)
}

func parseRefused(out []byte) (packets, bytes int64, err error) {
	found := false
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		line := sc.Text()
		f := strings.Fields(line)
		if len(f) < 3 || f[2] != "REJECT" || !strings.Contains(line, egressComment) {
			continue
		}
		p, err1 := strconv.ParseInt(f[0], 10, 64)
		b, err2 := strconv.ParseInt(f[1], 10, 64)
		if err1 != nil || err2 != nil {
			return 0, 0, fmt.Errorf("iptables counters %q do not parse", line)
		}
		packets, bytes, found = packets+p, bytes+b, true
	}
	if !found {
		return 0, 0, fmt.Errorf("no zdt-no-egress rule in DOCKER-USER: run make docker-setup")
	}
	return packets, bytes, nil
}

func uptime() (float64, error) {
	b, err := os.ReadFile("/proc/uptime")
	if err != nil {
		return 0, err
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0, fmt.Errorf("/proc/uptime: empty")
	}
	return strconv.ParseFloat(f[0], 64)
}

// parseEgressLog groups the kernel log's zdt-no-egress lines after the boot-relative instant
// from by destination, most packets first (the ten first).
func parseEgressLog(out []byte, from float64) []model.EgressDestination {
	type key struct {
		proto, dst, src string
		port            int
	}
	counts := map[key]int64{}
	for _, line := range bytes.Split(out, []byte("\n")) {
		s := string(line)
		i := strings.Index(s, egressLogPrefix)
		if i < 0 {
			continue
		}
		if open, end := strings.IndexByte(s, '['), strings.IndexByte(s, ']'); open >= 0 && end > open {
			if ts, err := strconv.ParseFloat(strings.TrimSpace(s[open+1:end]), 64); err == nil && ts < from {
				continue
			}
		}
		var k key
		for _, f := range strings.Fields(s[i+len(egressLogPrefix):]) {
			name, v, ok := strings.Cut(f, "=")
			if !ok {
				continue
			}
			switch name {
			case "DST":
				k.dst = v
			case "SRC":
				k.src = v
			case "PROTO":
				k.proto = strings.ToLower(v)
			case "DPT":
				k.port, _ = strconv.Atoi(v)
			}
		}
		if k.dst != "" {
			counts[k]++
		}
	}
	var ds []model.EgressDestination
	for k, n := range counts {
		ds = append(ds, model.EgressDestination{Proto: k.proto, Address: k.dst, Port: k.port, Source: k.src, Packets: n})
	}
	sort.Slice(ds, func(i, j int) bool {
		if ds[i].Packets != ds[j].Packets {
			return ds[i].Packets > ds[j].Packets
		}
		return fmt.Sprint(ds[i]) < fmt.Sprint(ds[j])
	})
	if len(ds) > 10 {
		ds = ds[:10]
	}
	return ds
}
