package images

import (
	"fmt"
	"os"
	"path/filepath"
)

// keyLabel is the image label that records the cache key an image was built from. An image whose
// label matches the key zdt computes for it is up to date and is not built again.
const keyLabel = "dev.zdt.images.key"

// DefaultCacheDir returns where zdt keeps build outputs between runs: $ZDT_CACHE_DIR, else
// $XDG_CACHE_HOME/zdt, else ~/.cache/zdt.
func DefaultCacheDir() (string, error) {
	if dir := os.Getenv("ZDT_CACHE_DIR"); dir != "" {
		return dir, nil
	}
	if dir := os.Getenv("XDG_CACHE_HOME"); dir != "" {
		return filepath.Join(dir, "zdt"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("find the cache directory: %w", err)
	}
	return filepath.Join(home, ".cache", "zdt"), nil
}
