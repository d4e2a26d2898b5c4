package web

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"hash"
	"net/url"
	"strings"
	"time"
)

// Time-based one-time passwords as authenticator apps make them: RFC 6238
// over HOTP (RFC 4226) with HMAC-SHA-1, 6 digits and 30-second steps, the
// parameters every app supports (RFC 6238 §4, §5.2).
const (
	totpPeriod = 30 // seconds per time step (X in RFC 6238 §4.1)
	totpDigits = 6
	// totpSkew is how many steps either side of now a code may be from:
	// one, for clocks a little off and codes typed as they roll over
	// (RFC 6238 §5.2 recommends at most one step of delay).
	totpSkew = 1
	// totpSecretBytes is the length of a new secret: 160 bits, what RFC
	// 4226 §4 (R6) recommends and paradero.MinTOTPSecretLength requires.
	totpSecretBytes = 20
)

// hotp is RFC 4226 §5.3: the HMAC of the 8-byte big-endian counter,
// dynamically truncated to digits decimal digits. newHash is sha1.New for
// HOTP; RFC 6238 also allows SHA-256 and SHA-512, used only by the tests of
// its vectors.
func hotp(newHash func() hash.Hash, secret []byte, counter uint64, digits int) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], counter)
	m := hmac.New(newHash, secret)
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	bin := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	mod := uint32(1)
	for range digits {
		mod *= 10
	}
	code := []byte(strings.Repeat("0", digits))
	for i, v := digits-1, bin%mod; i >= 0; i, v = i-1, v/10 {
		code[i] = byte('0' + v%10)
	}
	return string(code)
}

// totpStep is the time step of t: T = floor((Unix time − T0) / X) with
// T0 = 0 (RFC 6238 §4.2).
func totpStep(t time.Time) int64 { return t.Unix() / totpPeriod }

// totpCode is the code an authenticator app shows for secret at step.
func totpCode(secret []byte, step int64) string {
	return hotp(sha1.New, secret, uint64(step), totpDigits)
}

// checkTOTP returns the step whose code is code, from now's step minus
// totpSkew to plus totpSkew, and whether there is one. Every candidate is
// computed and compared in constant time, so the time taken says nothing
// about which matched. Whether the step was used already is the store's to
// say (UseTOTPStep).
func checkTOTP(secret []byte, code string, now time.Time) (int64, bool) {
	if len(code) != totpDigits || len(secret) == 0 {
		return 0, false
	}
	cur := totpStep(now)
	var step int64
	found := 0
	for d := int64(-totpSkew); d <= totpSkew; d++ {
		eq := subtle.ConstantTimeCompare([]byte(totpCode(secret, cur+d)), []byte(code))
		// The earliest matching step wins, so a code cannot be accepted
		// twice by matching a later step the second time.
		take := eq & (1 - found)
		step = int64(subtle.ConstantTimeSelect(take, int(cur+d), int(step)))
		found |= eq
	}
	return step, found == 1
}

// b32 is RFC 4648 base32 without padding, as otpauth URIs carry secrets.
var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// totpKey is the secret as a person types it into an app: base32 in
// groups of four.
func totpKey(secret []byte) string {
	s := b32.EncodeToString(secret)
	var b strings.Builder
	for i := 0; i < len(s); i += 4 {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s[i:min(i+4, len(s))])
	}
	return b.String()
}

// totpURI is the otpauth:// URI that apps read from a QR code (the Key
// Uri Format of Google Authenticator, which every app follows): the label
// "issuer:account" and the parameters, defaults spelled out.
func totpURI(issuer, account string, secret []byte) string {
	q := url.Values{}
	q.Set("secret", b32.EncodeToString(secret))
	q.Set("issuer", issuer)
	q.Set("algorithm", "SHA1")
	q.Set("digits", "6")
	q.Set("period", "30")
	u := url.URL{Scheme: "otpauth", Host: "totp", Path: "/" + issuer + ":" + account, RawQuery: q.Encode()}
	return u.String()
}
