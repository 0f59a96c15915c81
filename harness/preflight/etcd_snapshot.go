package preflight

import (
	"fmt"

	"github.com/zdt-dev/zdt/model"
)

func init() {
	register(Check{Name: "etcd-snapshot", Run: etcdSnapshot})
}

// etcdSnapshot fails unless an etcd snapshot was taken and verified before the upgrade: it is the
// only way back should the control plane upgrade corrupt or lose the cluster's state.
func etcdSnapshot(in *Input) []model.CheckResult {
	s := in.Inventory.EtcdSnapshot
	switch {
	case s == nil:
		return []model.CheckResult{{
			Status:  model.CheckFail,
			Message: "no etcd snapshot was taken: should the control plane upgrade fail, the cluster's state could not be restored",
			Fix:     "take a snapshot on a control plane node (etcdctl snapshot save) and verify it (etcdutl snapshot status) before upgrading",
		}}
	case !s.Verified:
		return []model.CheckResult{{
			Status:  model.CheckFail,
			Message: fmt.Sprintf("the etcd snapshot %s was not verified: it may not restore", s.Path),
			Fix:     fmt.Sprintf("verify it (etcdutl snapshot status %s) or take a new one", s.Path),
		}}
	case s.Size <= 0:
		return []model.CheckResult{{
			Status:  model.CheckFail,
			Message: fmt.Sprintf("the etcd snapshot %s is empty", s.Path),
			Fix:     "take a new snapshot (etcdctl snapshot save) and verify it",
		}}
	}
	if in.Brief {
		return briefPass()
	}
	return []model.CheckResult{{
		Status:  model.CheckPass,
		Message: fmt.Sprintf("etcd snapshot %s verified (%s, revision %d)", s.Path, mem(s.Size), s.Revision),
	}}
}
