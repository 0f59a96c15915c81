package isolation

import "testing"

// The counters of both zdt-no-egress REJECT rules are summed, the LOG rules' left out; the
// kernel log's lines before the run are skipped and the rest grouped by destination.
func TestEgressParsing(t *testing.T) {
	chain := []byte(`Chain DOCKER-USER (1 references)
    pkts      bytes target     prot opt in     out     source               destination
     120     9000 LOG        0    --  br-+   !br-+   0.0.0.0/0            0.0.0.0/0            /* zdt-no-egress-log */ limit: avg 20/sec burst 50 LOG flags 0 level 4 prefix "zdt-no-egress:"
       2      120 REJECT     0    --  docker0 !br-+   0.0.0.0/0            0.0.0.0/0            /* zdt-no-egress */ reject-with icmp-host-unreachable
   17663   826442 REJECT     0    --  br-+   !br-+   0.0.0.0/0            0.0.0.0/0            /* zdt-no-egress */ reject-with icmp-host-unreachable
 1696431 490824909 RETURN     0    --  *      *       0.0.0.0/0            0.0.0.0/0
`)
	p, b, err := parseRefused(chain)
	if err != nil || p != 17665 || b != 826562 {
		t.Errorf("parseRefused: %d packets, %d bytes, %v; want 17665, 826562", p, b, err)
	}
	if _, _, err := parseRefused([]byte("Chain DOCKER-USER (1 references)\n")); err == nil {
		t.Error("a chain without zdt's rule: want an error naming make docker-setup")
	}
	log := []byte(`[  100.000001] zdt-no-egress:IN=br-1 OUT=eth0 SRC=172.18.0.3 DST=10.0.0.2 LEN=60 PROTO=UDP SPT=40000 DPT=53 LEN=40
[  200.5] zdt-no-egress:IN=br-1 OUT=eth0 SRC=172.18.0.3 DST=10.0.0.2 LEN=60 PROTO=UDP SPT=40001 DPT=53 LEN=40
[  201.5] zdt-no-egress:IN=br-1 OUT=eth0 SRC=172.18.0.3 DST=10.0.0.2 LEN=60 PROTO=UDP SPT=40002 DPT=53 LEN=40
[  202.0] veth7b16ece: left promiscuous mode
[  203.0] zdt-no-egress:IN=br-1 OUT=eth0 SRC=172.18.0.4 DST=192.0.2.9 LEN=60 PROTO=TCP SPT=5000 DPT=443 WINDOW=64240 SYN
`)
	ds := parseEgressLog(log, 150)
	if len(ds) != 2 || ds[0].Address != "10.0.0.2" || ds[0].Port != 53 || ds[0].Proto != "udp" || ds[0].Packets != 2 ||
		ds[1].Address != "192.0.2.9" || ds[1].Port != 443 || ds[1].Source != "172.18.0.4" {
		t.Errorf("destinations %+v; want udp 10.0.0.2:53 twice (the line before the run left out), then tcp 192.0.2.9:443", ds)
	}
}
