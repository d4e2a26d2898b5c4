//go:build linux

package sqlite

import "testing"

func TestKernelVersion(t *testing.T) {
	tests := []struct {
		release      string
		major, minor int
		ok           bool
	}{
		{"6.18.44-fc-v669", 6, 18, true},
		{"5.8.0", 5, 8, true},
		{"5.10-rc1", 5, 10, true},
		{"4.19.0-17-amd64", 4, 19, true},
		{"garbage", 0, 0, false},
	}
	for _, tt := range tests {
		major, minor, ok := kernelVersion(tt.release)
		if ok != tt.ok || ok && (major != tt.major || minor != tt.minor) {
			t.Errorf("kernelVersion(%q) = %d, %d, %v, want %d, %d, %v", tt.release, major, minor, ok, tt.major, tt.minor, tt.ok)
		}
	}
	// Every batch test on this machine takes the one-syncfs path when
	// the kernel is new enough; the fsync path is the same code as before.
	t.Logf("groupSync on this kernel: %v", groupSync())
}
