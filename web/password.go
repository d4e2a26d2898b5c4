package web

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/paradero/paradero"
	"golang.org/x/crypto/argon2"
)

// PasswordParams is the cost of an argon2id hash (RFC 9106).
type PasswordParams struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8
}

// DefaultPasswordParams returns the cost of RFC 9106 §4's second
// recommended option: 64 MiB, 3 passes, 4 lanes.
func DefaultPasswordParams() PasswordParams {
	return PasswordParams{Memory: 64 * 1024, Time: 3, Threads: 4}
}

// MinPasswordLength is the shortest password accepted, in characters.
const MinPasswordLength = 12

// CheckNewPassword says why a new password is not acceptable. EINVALID.
func CheckNewPassword(pw string) error {
	if n := len([]rune(pw)); n < MinPasswordLength {
		return paradero.Errorf(paradero.EINVALID, "the password must be at least %d characters long", MinPasswordLength)
	}
	if len(pw) > 1024 {
		return paradero.Errorf(paradero.EINVALID, "the password is longer than 1024 bytes")
	}
	return nil
}

// HashPassword returns the argon2id hash of pw with a fresh 16-byte salt,
// in the PHC string format: $argon2id$v=19$m=M,t=T,p=P$salt$hash, base64
// without padding.
func HashPassword(pw string, p PasswordParams) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, 32)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// CheckPassword reports whether pw matches hash, in time independent of
// where they differ. A malformed hash matches nothing.
func CheckPassword(pw, hash string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return false
	}
	var p PasswordParams
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil ||
		p.Memory == 0 || p.Time == 0 || p.Threads == 0 || p.Memory > 4<<20 || p.Time > 100 {
		return false
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[4])
	want, err2 := enc.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 || len(want) > 128 {
		return false
	}
	got := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}
