package images

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/kind/pkg/cluster"

	"github.com/zdt-dev/zdt/cmd/zdt/app/cli"
	"github.com/zdt-dev/zdt/harness/images"
	"github.com/zdt-dev/zdt/harness/images/components"
)

// installFlags are the flags of `zdt images install-providers`.
type installFlags struct {
	kubeconfig  string
	kindCluster string
	cacheDir    string
	timeout     time.Duration
}

func newInstallCommand(streams cli.IOStreams) *cobra.Command {
	f := &installFlags{}
	cmd := &cobra.Command{
		Use:   "install-providers",
		Short: "Install the Cluster API providers offline, with webhook certificates of zdt's own",
		Long: `Install Cluster API core, the kubeadm bootstrap and control plane providers and the Docker
provider into a management cluster with no registry and no cert-manager: the components that
zdt images build rendered (in the cache directory) are applied server-side, with a CA and the
webhook serving certificates zdt issues itself in place of cert-manager's Certificates, and the
CA bundle injected where the components ask for it. With --kind-cluster the provider images are
first loaded into that kind cluster's nodes (and its kubeconfig is used unless --kubeconfig is
given). Where images can be pulled and cert-manager runs, clusterctl init stays the normal path.

` + cli.ExitCodesHelp,
		Example: `  zdt images install-providers --kind-cluster zdt-mgmt
  zdt images install-providers --kubeconfig ~/.kube/config`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cacheDir := f.cacheDir
			if cacheDir == "" {
				dir, err := images.DefaultCacheDir()
				if err != nil {
					return cli.BadInput(err)
				}
				cacheDir = dir
			}
			var manifests [][]byte
			for _, p := range images.Components() {
				path := filepath.Join(images.ComponentsDir(cacheDir), p.ComponentsFile())
				b, err := os.ReadFile(path)
				if err != nil {
					return cli.BadInput(fmt.Errorf("read the components of %s (run zdt images build first): %w", p.Name, err))
				}
				manifests = append(manifests, b)
			}
			cfg, err := restConfig(f)
			if err != nil {
				return cli.BadInput(err)
			}
			start := time.Now()
			if f.kindCluster != "" {
				fmt.Fprintf(streams.Out, "loading %d provider images into kind cluster %s\n", len(images.ComponentImages()), f.kindCluster)
				if err := images.LoadIntoKind(cmd.Context(), f.kindCluster, images.ComponentImages()); err != nil {
					return cli.BadInput(err)
				}
			}
			err = components.InstallManifests(cmd.Context(), cfg, manifests, components.InstallOptions{Timeout: f.timeout, Log: streams.Out})
			if err != nil {
				return cli.BadInput(fmt.Errorf("install the providers: %w", err))
			}
			fmt.Fprintf(streams.Out, "Cluster API %s providers installed in %s\n", images.CAPIVersion, time.Since(start).Round(time.Second))
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.kubeconfig, "kubeconfig", "", "kubeconfig of the management cluster")
	fl.StringVar(&f.kindCluster, "kind-cluster", "", "kind cluster to load the provider images into (and whose kubeconfig to use)")
	fl.StringVar(&f.cacheDir, "cache-dir", "", "the cache directory zdt images build wrote the components to")
	fl.DurationVar(&f.timeout, "timeout", 5*time.Minute, "bound on each wait (CRDs established, controllers available)")
	return cmd
}

// restConfig returns the client configuration of the management cluster.
func restConfig(f *installFlags) (*rest.Config, error) {
	if f.kubeconfig != "" {
		cfg, err := clientcmd.BuildConfigFromFlags("", f.kubeconfig)
		if err != nil {
			return nil, fmt.Errorf("read kubeconfig %s: %w", f.kubeconfig, err)
		}
		return cfg, nil
	}
	if f.kindCluster == "" {
		return nil, fmt.Errorf("give --kubeconfig or --kind-cluster")
	}
	raw, err := cluster.NewProvider(cluster.ProviderWithDocker()).KubeConfig(f.kindCluster, false)
	if err != nil {
		return nil, fmt.Errorf("kubeconfig of kind cluster %s: %w", f.kindCluster, err)
	}
	cfg, err := clientcmd.RESTConfigFromKubeConfig([]byte(raw))
	if err != nil {
		return nil, fmt.Errorf("read the kubeconfig of kind cluster %s: %w", f.kindCluster, err)
	}
	return cfg, nil
}
