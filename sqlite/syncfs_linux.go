//go:build linux

package sqlite

import (
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// groupSync reports whether syncFS can make a batch of new files durable
// with one call. Linux has syncfs(2), which writes back and waits for
// every dirty page and inode of one file system; since Linux 5.8 it also
// returns the write-back errors seen since the file was opened
// (errseq_t on the super block), so a failed write is not mistaken for a
// durable one. Older kernels may swallow such an error: there the batch
// syncs each file itself.
func groupSync() bool {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return false
	}
	major, minor, ok := kernelVersion(unix.ByteSliceToString(u.Release[:]))
	return ok && (major > 5 || major == 5 && minor >= 8)
}

// kernelVersion reads "6.18.44-foo" (or "5.10-rc1") as 6, 18.
func kernelVersion(release string) (major, minor int, ok bool) {
	a, rest, _ := strings.Cut(release, ".")
	b := rest[:len(rest)-len(strings.TrimLeft(rest, "0123456789"))]
	ma, err1 := strconv.Atoi(a)
	mi, err2 := strconv.Atoi(b)
	return ma, mi, err1 == nil && err2 == nil
}

// syncFS makes everything written to the file system that holds dir
// durable: the contents of files written since they were opened, new
// directories, and renames.
func syncFS(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := unix.Syncfs(int(f.Fd())); err != nil {
		return &os.PathError{Op: "syncfs", Path: dir, Err: err}
	}
	return nil
}
