package web

import (
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

func TestSuppress(t *testing.T) {
	for _, tc := range []struct {
		in   []int
		want string // S for suppressed, . for shown
	}{
		{[]int{100, 50, 20}, "..."},
		{[]int{100, 5, 20}, ".SS"}, // one small cell: the next smallest goes too
		{[]int{100, 5, 3, 20}, ".SS."},
		{[]int{0, 100}, ".."},
		{[]int{9}, "S"},
	} {
		bs := make([]bar, len(tc.in))
		for i, v := range tc.in {
			bs[i].Value = v
		}
		suppress(bs, 10)
		var got strings.Builder
		for _, b := range bs {
			if b.Suppressed {
				got.WriteByte('S')
			} else {
				got.WriteByte('.')
			}
		}
		if got.String() != tc.want {
			t.Errorf("suppress(%v) = %s, want %s", tc.in, got.String(), tc.want)
		}
	}
}

func TestLocalPath(t *testing.T) {
	for in, want := range map[string]string{
		"/sources/1":           "/sources/1",
		"/sources?page=2":      "/sources?page=2",
		"":                     "/",
		"//evil.example/":      "/",
		"/\\evil.example":      "/",
		"https://evil.example": "/",
		"sources":              "/",
	} {
		if got := localPath(in); got != want {
			t.Errorf("localPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMissingTemplateFailsStartUp(t *testing.T) {
	full := fstest.MapFS{}
	err := fs.WalkDir(assets, "templates", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(assets, path)
		full[path] = &fstest.MapFile{Data: b}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := parsePages(full); err != nil {
		t.Fatalf("parsePages(all templates) = %v", err)
	}
	delete(full, "templates/record.html")
	if _, err := parsePages(full); err == nil {
		t.Error("parsePages without record.html succeeded")
	}
}

func TestPassword(t *testing.T) {
	p := PasswordParams{Memory: 64, Time: 1, Threads: 1}
	h, err := HashPassword("contraseña larga y segura", p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Errorf("hash = %q", h)
	}
	h2, _ := HashPassword("contraseña larga y segura", p)
	if h == h2 {
		t.Error("two hashes of one password are equal: no salt")
	}
	if !CheckPassword("contraseña larga y segura", h) {
		t.Error("CheckPassword(right) = false")
	}
	for _, bad := range []string{"contraseña larga y segurA", "", "contraseña larga y segura "} {
		if CheckPassword(bad, h) {
			t.Errorf("CheckPassword(%q) = true", bad)
		}
	}
	for _, broken := range []string{"", "$argon2id$", "$argon2i$v=19$m=64,t=1,p=1$c2FsdA$aGFzaA", "$argon2id$v=19$m=99999999,t=1,p=1$c2FsdA$aGFzaA"} {
		if CheckPassword("x", broken) {
			t.Errorf("CheckPassword against %q = true", broken)
		}
	}
	if CheckNewPassword("short") == nil || CheckNewPassword("twelve chars") != nil {
		t.Error("CheckNewPassword does not enforce 12 characters")
	}
}

// TestThrottleWindow checks that failures expire after the window.
func TestThrottleWindow(t *testing.T) {
	now := time.Date(2025, 3, 15, 0, 0, 0, 0, time.UTC)
	th := newThrottle(func() time.Time { return now })
	for range maxPerAccount {
		th.fail("a@example.org", "10.0.0.1")
	}
	if !th.blocked("a@example.org", "10.0.0.2") {
		t.Fatal("not blocked after the per-account limit")
	}
	if th.blocked("b@example.org", "10.0.0.2") {
		t.Fatal("another account from another client is blocked")
	}
	now = now.Add(throttleWindow + time.Second)
	if th.blocked("a@example.org", "10.0.0.1") {
		t.Fatal("still blocked after the window")
	}
	for i := range maxPerClient {
		th.fail(strings.Repeat("x", i+1)+"@example.org", "10.0.0.9")
	}
	if !th.blocked("new@example.org", "10.0.0.9") {
		t.Fatal("not blocked after the per-client limit")
	}
	if len(th.failures) == 0 {
		t.Fatal("no failures kept")
	}
}
