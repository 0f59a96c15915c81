package preflight

import (
	"testing"

	"github.com/zdt-dev/zdt/model"
)

func TestEtcdSnapshot(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(in *Input)
		want   model.CheckStatus
		texts  []string
	}{
		{name: "verified", mutate: func(in *Input) {}, want: model.CheckPass, texts: []string{"verified (24Mi, revision 4242)"}},
		{name: "none taken", mutate: func(in *Input) { in.Inventory.EtcdSnapshot = nil }, want: model.CheckFail,
			texts: []string{"no etcd snapshot was taken", "etcdctl snapshot save"}},
		{name: "not verified", mutate: func(in *Input) { in.Inventory.EtcdSnapshot.Verified = false }, want: model.CheckFail,
			texts: []string{"was not verified", "etcdutl snapshot status"}},
		{name: "empty", mutate: func(in *Input) { in.Inventory.EtcdSnapshot.Size = 0 }, want: model.CheckFail, texts: []string{"is empty"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := goodInput()
			tt.mutate(in)
			expect(t, etcdSnapshot(in), tt.want, tt.texts...)
		})
	}
}
