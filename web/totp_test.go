package web

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"hash"
	"net/url"
	"testing"
	"time"
)

// TestHOTPVectors checks RFC 4226 Appendix D: the secret
// "12345678901234567890", counters 0 to 9, six digits.
func TestHOTPVectors(t *testing.T) {
	secret := []byte("12345678901234567890")
	want := []string{"755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"}
	for c, w := range want {
		if got := hotp(sha1.New, secret, uint64(c), 6); got != w {
			t.Errorf("HOTP(counter %d) = %s, want %s", c, got, w)
		}
	}
}

// TestTOTPVectors checks every test vector of RFC 6238 Appendix B: eight
// digits, SHA-1, SHA-256 and SHA-512 with their own seeds, X = 30, T0 = 0.
func TestTOTPVectors(t *testing.T) {
	seeds := map[string]struct {
		h    func() hash.Hash
		seed []byte
	}{
		"SHA1":   {sha1.New, []byte("12345678901234567890")},
		"SHA256": {sha256.New, []byte("12345678901234567890123456789012")},
		"SHA512": {sha512.New, []byte("1234567890123456789012345678901234567890123456789012345678901234")},
	}
	for _, tc := range []struct {
		unix int64
		step int64 // the RFC's T, in hex there
		mode string
		totp string
	}{
		{59, 0x1, "SHA1", "94287082"},
		{59, 0x1, "SHA256", "46119246"},
		{59, 0x1, "SHA512", "90693936"},
		{1111111109, 0x23523EC, "SHA1", "07081804"},
		{1111111109, 0x23523EC, "SHA256", "68084774"},
		{1111111109, 0x23523EC, "SHA512", "25091201"},
		{1111111111, 0x23523ED, "SHA1", "14050471"},
		{1111111111, 0x23523ED, "SHA256", "67062674"},
		{1111111111, 0x23523ED, "SHA512", "99943326"},
		{1234567890, 0x273EF07, "SHA1", "89005924"},
		{1234567890, 0x273EF07, "SHA256", "91819424"},
		{1234567890, 0x273EF07, "SHA512", "93441116"},
		{2000000000, 0x3F940AA, "SHA1", "69279037"},
		{2000000000, 0x3F940AA, "SHA256", "90698825"},
		{2000000000, 0x3F940AA, "SHA512", "38618901"},
		{20000000000, 0x27BC86AA, "SHA1", "65353130"},
		{20000000000, 0x27BC86AA, "SHA256", "77737706"},
		{20000000000, 0x27BC86AA, "SHA512", "47863826"},
	} {
		now := time.Unix(tc.unix, 0)
		if got := totpStep(now); got != tc.step {
			t.Errorf("step(%d) = %#x, want %#x", tc.unix, got, tc.step)
		}
		s := seeds[tc.mode]
		if got := hotp(s.h, s.seed, uint64(totpStep(now)), 8); got != tc.totp {
			t.Errorf("TOTP %s at %d = %s, want %s", tc.mode, tc.unix, got, tc.totp)
		}
		if tc.mode != "SHA1" {
			continue
		}
		// The six-digit code apps show is the same truncation mod 10^6,
		// and checkTOTP accepts it at that time, at that step.
		six := tc.totp[2:]
		if got := totpCode(s.seed, tc.step); got != six {
			t.Errorf("totpCode at %d = %s, want %s", tc.unix, got, six)
		}
		if step, ok := checkTOTP(s.seed, six, now); !ok || step != tc.step {
			t.Errorf("checkTOTP(%s at %d) = %#x, %v; want %#x, true", six, tc.unix, step, ok, tc.step)
		}
	}
}

// TestCheckTOTPWindow checks the one-step tolerance either side of now, and
// that nothing else passes.
func TestCheckTOTPWindow(t *testing.T) {
	secret := []byte("12345678901234567890")
	now := time.Unix(1111111111, 0)
	cur := totpStep(now)
	for d := int64(-3); d <= 3; d++ {
		step, ok := checkTOTP(secret, totpCode(secret, cur+d), now)
		want := d >= -totpSkew && d <= totpSkew
		if ok != want || ok && step != cur+d {
			t.Errorf("code of step now%+d: step %d, ok %v; want ok %v at %d", d, step, ok, want, cur+d)
		}
	}
	good := totpCode(secret, cur)
	for _, bad := range []string{"", "12345", "1234567", "abcdef", good + " ", good[:5] + "x"} {
		if _, ok := checkTOTP(secret, bad, now); ok {
			t.Errorf("checkTOTP(%q) passed", bad)
		}
	}
	if _, ok := checkTOTP(nil, good, now); ok {
		t.Error("checkTOTP with no secret passed")
	}
	if _, ok := checkTOTP([]byte("another secret of twenty"), good, now); ok {
		t.Error("a code passed for another secret")
	}
}

func TestTOTPKeyAndURI(t *testing.T) {
	secret := []byte("12345678901234567890")
	if got, want := totpKey(secret), "GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ"; got != want {
		t.Errorf("totpKey = %q, want %q", got, want)
	}
	raw := totpURI("Paradero", "ana+1@example.org", secret)
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if u.Scheme != "otpauth" || u.Host != "totp" || u.Path != "/Paradero:ana+1@example.org" ||
		q.Get("secret") != "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" || q.Get("issuer") != "Paradero" ||
		q.Get("algorithm") != "SHA1" || q.Get("digits") != "6" || q.Get("period") != "30" {
		t.Errorf("totpURI = %s", raw)
	}
}

func TestRecoveryCodes(t *testing.T) {
	codes, hashes := newRecoveryCodes(7)
	if len(codes) != recoveryCodeCount || len(hashes) != recoveryCodeCount {
		t.Fatalf("%d codes, %d hashes; want %d", len(codes), len(hashes), recoveryCodeCount)
	}
	seen := map[string]bool{}
	for i, c := range codes {
		if len(c) != 19 || c[4] != '-' || c[9] != '-' || c[14] != '-' || seen[c] {
			t.Errorf("code %q is not XXXX-XXXX-XXXX-XXXX, or repeats", c)
		}
		seen[c] = true
		n := normalizeRecoveryCode(c)
		if hashRecoveryCode(7, n) != hashes[i] {
			t.Errorf("the hash of code %d does not match what is stored", i)
		}
		if hashRecoveryCode(8, n) == hashes[i] {
			t.Error("a recovery code's hash does not depend on the user")
		}
	}
	for in, want := range map[string]string{
		"abcd-efgh-ijkl-mnop": "ABCDEFGHIJKLMNOP",
		" ab cd\tEF-gh ":      "ABCDEFGH",
		"0O1I8B":              "OOIIBB", // digits that look like base32 letters
		"ABCD-EFGH-2345-6777": "ABCDEFGH23456777",
	} {
		if got := normalizeRecoveryCode(in); got != want {
			t.Errorf("normalizeRecoveryCode(%q) = %q, want %q", in, got, want)
		}
	}
}
