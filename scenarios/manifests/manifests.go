// Package manifests reads Kubernetes manifests (multi-document YAML, JSON, v1 Lists) into the
// object references zdt checks: the apiVersion and kind of each object, and where it came from.
// zdt audit reads them, and so do scenarios (spec.manifests) for the removed-APIs preflight check.
package manifests

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/zdt-dev/zdt/model"
)

// manifestExts are the file name endings Read reads in a directory.
var manifestExts = []string{".yaml", ".yml", ".json"}

// Read reads the objects of every manifest at the given paths: files, or directories walked for
// *.yaml, *.yml and *.json files. A file may hold several YAML documents and v1 List objects.
// Each object's Source is its file and document number. Paths are read from fsys, or from the
// operating system's files when fsys is nil.
func Read(fsys fs.FS, paths []string) ([]model.ObjectRef, error) {
	files, err := Files(fsys, paths)
	if err != nil {
		return nil, err
	}
	var out []model.ObjectRef
	for _, f := range files {
		objs, err := readFile(fsys, f)
		if err != nil {
			return nil, err
		}
		out = append(out, objs...)
	}
	return out, nil
}

// Files lists the manifest files at the given paths, sorted: files as given, directories
// walked for *.yaml, *.yml and *.json files.
func Files(fsys fs.FS, paths []string) ([]string, error) {
	var files []string
	for _, p := range paths {
		info, err := stat(fsys, p)
		if err != nil {
			return nil, fmt.Errorf("read manifests: %w", err)
		}
		if !info.IsDir() {
			files = append(files, p)
			continue
		}
		walk := func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && hasManifestExt(path) {
				files = append(files, path)
			}
			return nil
		}
		if fsys == nil {
			err = filepath.WalkDir(p, walk)
		} else {
			err = fs.WalkDir(fsys, p, walk)
		}
		if err != nil {
			return nil, fmt.Errorf("read manifests in %s: %w", p, err)
		}
	}
	sort.Strings(files)
	return files, nil
}

func stat(fsys fs.FS, path string) (fs.FileInfo, error) {
	if fsys == nil {
		return os.Stat(path)
	}
	return fs.Stat(fsys, path)
}

func hasManifestExt(path string) bool {
	for _, ext := range manifestExts {
		if strings.HasSuffix(path, ext) {
			return true
		}
	}
	return false
}

func readFile(fsys fs.FS, path string) ([]model.ObjectRef, error) {
	var f fs.File
	var err error
	if fsys == nil {
		f, err = os.Open(path)
	} else {
		f, err = fsys.Open(path)
	}
	if err != nil {
		return nil, fmt.Errorf("read manifests: %w", err)
	}
	defer f.Close()
	objs, err := Decode(path, f)
	if err != nil {
		return nil, fmt.Errorf("read manifests: %w", err)
	}
	return objs, nil
}

// object is the part of a manifest the audit reads.
type object struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	} `json:"metadata"`
	Items []object `json:"items"`
}

// Decode reads the objects of one multi-document YAML (or JSON) stream; source names it in
// errors and in each object's Source.
func Decode(source string, r io.Reader) ([]model.ObjectRef, error) {
	reader := utilyaml.NewYAMLReader(bufio.NewReader(r))
	var out []model.ObjectRef
	for doc := 1; ; doc++ {
		data, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: document %d: %w", source, doc, err)
		}
		if len(bytes.TrimSpace(data)) == 0 {
			doc--
			continue
		}
		var o object
		if err := yaml.Unmarshal(data, &o); err != nil {
			return nil, fmt.Errorf("%s: document %d: %w", source, doc, err)
		}
		if o.APIVersion == "" && o.Kind == "" {
			// Only comments, or a document that is no Kubernetes object.
			doc--
			continue
		}
		src := fmt.Sprintf("%s#%d", source, doc)
		if o.APIVersion == "v1" && strings.HasSuffix(o.Kind, "List") && o.Items != nil {
			for _, item := range o.Items {
				out = append(out, ref(item, src))
			}
			continue
		}
		out = append(out, ref(o, src))
	}
}

func ref(o object, source string) model.ObjectRef {
	return model.ObjectRef{
		APIVersion: o.APIVersion,
		Kind:       o.Kind,
		Namespace:  o.Metadata.Namespace,
		Name:       o.Metadata.Name,
		Source:     source,
	}
}
