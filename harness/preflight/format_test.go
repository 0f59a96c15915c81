package preflight

import "testing"

func TestParseVersion(t *testing.T) {
	tests := []struct {
		in           string
		minor, patch uint
		wantErr      bool
	}{
		{"v1.36.3", 36, 3, false},
		{"v1.36.3+k3s1", 36, 3, false},
		{"v1.37", 37, 0, false},
		{"", 0, 0, true},
		{"latest", 0, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			v, err := parseVersion(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("error %v, want error %v", err, tt.wantErr)
			}
			if err == nil && (v.Minor() != tt.minor || v.Patch() != tt.patch) {
				t.Errorf("got minor %d patch %d, want %d %d", v.Minor(), v.Patch(), tt.minor, tt.patch)
			}
		})
	}
}
