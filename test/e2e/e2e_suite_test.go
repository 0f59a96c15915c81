//go:build e2e

package e2e

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/zdt-dev/zdt/harness/kind"
)

// TestE2E runs zdt's specs on kind and on the kubeconfig provider (ZDT_E2E=1, Docker and the
// images of `zdt images build`).
func TestE2E(t *testing.T) {
	if os.Getenv("ZDT_E2E") != "1" {
		t.Skip("set ZDT_E2E=1 to run the specs that need Docker and the built images")
	}
	RegisterFailHandler(Fail)
	RunSpecs(t, "zdt e2e")
}

// suiteProviders are the kind providers the suite's specs made; AfterSuite removes what they
// created.
var suiteProviders []*kind.Provider

var _ = AfterSuite(func() {
	if os.Getenv("ZDT_E2E_KEEP") == "1" {
		GinkgoWriter.Println("keeping every cluster (ZDT_E2E_KEEP=1); zdt cleanup removes them")
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	// Only what this suite's providers created: other runs on the host are left alone.
	var errs []error
	for _, p := range suiteProviders {
		removed, err := p.RemoveCreated(ctx)
		for _, n := range removed {
			GinkgoWriter.Printf("removed %s, %s and %s\n", n.Management, n.Workload, n.EdgeLB)
		}
		errs = append(errs, err)
	}
	Expect(errors.Join(errs...)).NotTo(HaveOccurred())
})
