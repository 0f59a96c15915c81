package images

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// keyLabel is the image label that records the cache key an image was built from. An image whose
// label matches the key zdt computes for it is up to date and is not built again.
const keyLabel = "dev.zdt.images.key"

// recipeVersion changes whenever a recipe changes in a way its inputs do not show, so that every
// cached image is built again.
const recipeVersion = "1"

// inputKey returns the cache key of a build from its inputs: a short hash of the recipe version and
// every name=value pair, independent of the order they are given in.
func inputKey(inputs map[string]string) string {
	names := make([]string, 0, len(inputs))
	for name := range inputs {
		names = append(names, name)
	}
	sort.Strings(names)
	h := sha256.New()
	fmt.Fprintf(h, "recipe=%s\n", recipeVersion)
	for _, name := range names {
		fmt.Fprintf(h, "%q=%q\n", name, inputs[name])
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

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

// stamp records in dir that a build with key finished, so that a later run can reuse dir.
func stamp(dir, key string) error {
	return os.WriteFile(filepath.Join(dir, ".zdt-key"), []byte(key+"\n"), 0o644)
}

// stamped reports whether dir holds the finished output of a build with key.
func stamped(dir, key string) bool {
	b, err := os.ReadFile(filepath.Join(dir, ".zdt-key"))
	return err == nil && strings.TrimSpace(string(b)) == key
}
