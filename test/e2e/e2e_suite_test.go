//go:build e2e

package e2e

import (
	"context"
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

var _ = AfterSuite(func() {
	if os.Getenv("ZDT_E2E_KEEP") == "1" {
		GinkgoWriter.Println("keeping every cluster (ZDT_E2E_KEEP=1); zdt cleanup removes them")
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	removed, err := kind.Cleanup(ctx)
	for _, l := range removed {
		GinkgoWriter.Printf("removed %s\n", l.Name)
	}
	Expect(err).NotTo(HaveOccurred())
})
