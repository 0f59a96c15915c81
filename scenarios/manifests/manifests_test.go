package manifests

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/zdt-dev/zdt/model"
)

func TestDecode(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []model.ObjectRef
		wantErr bool
	}{
		{
			name: "multi-document with comments and empty documents",
			in:   "# header\n---\napiVersion: batch/v1beta1\nkind: CronJob\nmetadata: {name: a, namespace: ns}\n---\n---\n# only a comment\n---\napiVersion: v1\nkind: Service\nmetadata: {name: b}\n",
			want: []model.ObjectRef{
				{APIVersion: "batch/v1beta1", Kind: "CronJob", Name: "a", Namespace: "ns", Source: "f#1"},
				{APIVersion: "v1", Kind: "Service", Name: "b", Source: "f#2"},
			},
		},
		{
			name: "v1 List",
			in:   `{"apiVersion": "v1", "kind": "List", "items": [{"apiVersion": "policy/v1beta1", "kind": "PodDisruptionBudget", "metadata": {"name": "p"}}]}`,
			want: []model.ObjectRef{{APIVersion: "policy/v1beta1", Kind: "PodDisruptionBudget", Name: "p", Source: "f#1"}},
		},
		{name: "not YAML", in: "apiVersion: [1\n", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Decode("f", strings.NewReader(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("error %v, want error %v", err, tt.wantErr)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("object %d: got %+v, want %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestReadWalksFoldersOfAnFS(t *testing.T) {
	fsys := fstest.MapFS{
		"lib/m/a.yaml":     {Data: []byte("apiVersion: batch/v1beta1\nkind: CronJob\nmetadata: {name: a}\n")},
		"lib/m/sub/b.json": {Data: []byte(`{"apiVersion": "v1", "kind": "List", "items": [{"apiVersion": "policy/v1beta1", "kind": "PodDisruptionBudget", "metadata": {"name": "b"}}]}`)},
		"lib/m/notes.txt":  {Data: []byte("not a manifest")},
		"lib/single.yml":   {Data: []byte("apiVersion: v1\nkind: Service\nmetadata: {name: s}\n")},
	}
	got, err := Read(fsys, []string{"lib/m", "lib/single.yml"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"CronJob a lib/m/a.yaml#1", "PodDisruptionBudget b lib/m/sub/b.json#1", "Service s lib/single.yml#1"}
	if len(got) != len(want) {
		t.Fatalf("got %+v, want %v", got, want)
	}
	for i, o := range got {
		if s := o.Kind + " " + o.Name + " " + o.Source; s != want[i] {
			t.Errorf("object %d: %s, want %s", i, s, want[i])
		}
	}
	if _, err := Read(fsys, []string{"lib/missing"}); err == nil || !strings.Contains(err.Error(), "lib/missing") {
		t.Errorf("missing path: error %v, want one naming it", err)
	}
}

// FuzzDecode: any input decodes without panicking, into objects that each name their document.
func FuzzDecode(f *testing.F) {
	f.Add("apiVersion: batch/v1beta1\nkind: CronJob\nmetadata: {name: a, namespace: ns}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: b}\n")
	f.Add(`{"apiVersion": "v1", "kind": "List", "items": [{"apiVersion": "policy/v1beta1", "kind": "PodDisruptionBudget", "metadata": {"name": "p"}}]}`)
	f.Add("# only a comment\n---\n---\n")
	f.Add("apiVersion: [1\n")
	f.Fuzz(func(t *testing.T, in string) {
		objs, err := Decode("f", strings.NewReader(in))
		if err != nil {
			return
		}
		for _, o := range objs {
			if !strings.HasPrefix(o.Source, "f#") {
				t.Fatalf("object %+v does not name its document", o)
			}
		}
	})
}
