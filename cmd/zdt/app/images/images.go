package images

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/zdt-dev/zdt/cmd/zdt/app/cli"
	"github.com/zdt-dev/zdt/harness/images"
)

// NewCommand returns `zdt images` and its verbs.
func NewCommand(streams cli.IOStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "images",
		Short: "Build the container images the kind + Cluster API provider needs, offline",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newBuildCommand(streams), newInstallCommand(streams))
	return cmd
}

// buildFlags are the flags of `zdt images build`.
type buildFlags struct {
	kubernetes []string
	cacheDir   string
	noPull     bool
	logFile    string
}

func newBuildCommand(streams cli.IOStreams) *cobra.Command {
	f := &buildFlags{}
	cmd := &cobra.Command{
		Use:   "build",
		Short: "Build every image with no registry, skipping those already present",
		Long: `Build, with no registry, every image zdt's kind + Cluster API Docker path needs:

  - a kind node image per Kubernetes version: a Debian root file system (debootstrap) with
    systemd, containerd, runc and the CNI plugins, kind's base files, the Kubernetes binaries
    built from the k8s.io/kubernetes module, and the images kubeadm expects (apiserver,
    controller manager, scheduler, proxy, etcd, CoreDNS, pause, built from their Go modules)
    preloaded into the node's containerd; the kubelet runs on cgroup v1 hosts too;
  - zdt's CNI for clusters of several nodes (its manifest is written to the cache directory);
  - the sample app;
  - Cluster API core, kubeadm bootstrap, kubeadm control plane and Docker provider (CAPD)
    managers built from the Cluster API modules, CAPD's API load balancer and the edge load
    balancer (Debian's haproxy), and the providers' components rendered with kustomize's API
    (zdt images install-providers installs them offline).

Upstream images are pulled first where a registry answers (--no-pull skips that). Outputs are
cached (binaries and root file systems in the cache directory, images labelled with the key of
their inputs): a second run takes seconds. Docker must run (make docker-setup).

` + cli.ExitCodesHelp,
		Example: `  zdt images build
  zdt images build --kubernetes v1.36.3`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runBuild(cmd, streams, f)
		},
	}
	fl := cmd.Flags()
	fl.StringSliceVar(&f.kubernetes, "kubernetes", images.DefaultKubernetesVersions, "Kubernetes versions to build node images for")
	fl.StringVar(&f.cacheDir, "cache-dir", "", "where build outputs are kept between runs (default $XDG_CACHE_HOME/zdt or ~/.cache/zdt)")
	fl.BoolVar(&f.noPull, "no-pull", false, "never try to pull upstream images; build them")
	fl.StringVar(&f.logFile, "log", "", "file for every command's output (default build.log in the cache directory)")
	return cmd
}

func runBuild(cmd *cobra.Command, streams cli.IOStreams, f *buildFlags) error {
	cacheDir := f.cacheDir
	if cacheDir == "" {
		dir, err := images.DefaultCacheDir()
		if err != nil {
			return cli.BadInput(err)
		}
		cacheDir = dir
	}
	logFile := f.logFile
	if logFile == "" {
		logFile = filepath.Join(cacheDir, "build.log")
	}
	if err := os.MkdirAll(filepath.Dir(logFile), 0o755); err != nil {
		return cli.BadInput(fmt.Errorf("create the log's directory: %w", err))
	}
	log, err := os.Create(logFile)
	if err != nil {
		return cli.BadInput(fmt.Errorf("create the build log: %w", err))
	}
	defer log.Close()
	fmt.Fprintf(streams.Out, "zdt images build: Kubernetes %v, cache %s, log %s\n", f.kubernetes, cacheDir, logFile)
	start := time.Now()
	summary, err := images.Build(cmd.Context(), images.Options{
		Kubernetes: f.kubernetes,
		CacheDir:   cacheDir,
		Pull:       !f.noPull,
		Progress:   streams.Out,
		BuildLog:   log,
	})
	if summary != nil {
		summary.Write(streams.Out)
	}
	if err != nil {
		return cli.Exit(cli.ExitBadInput, fmt.Errorf("images build failed after %s (log in %s): %w", time.Since(start).Round(time.Second), logFile, err))
	}
	return nil
}
