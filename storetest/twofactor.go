package storetest

import (
	"bytes"
	"sync"
	"testing"
	"time"

	"github.com/paradero/paradero"
)

// TwoFactorStore is what a store provides for two-factor sign-in, beside
// accounts and sessions.
type TwoFactorStore interface {
	AccessStore
	paradero.TwoFactorService
}

// RunTwoFactor runs the contract suite for two-factor sign-in. open returns
// a fresh, empty store, closed by the test's cleanup.
func RunTwoFactor(t *testing.T, open func(t *testing.T) TwoFactorStore) {
	tests := []struct {
		name string
		fn   func(*testing.T, TwoFactorStore)
	}{
		{"ZeroState", testTwoFactorZeroState},
		{"Enrol", testTwoFactorEnrol},
		{"EnrolNeedsThePendingSecret", testTwoFactorEnrolConflict},
		{"StepsAreSingleUse", testTOTPSteps},
		{"RecoveryCodesAreSingleUse", testRecoveryCodes},
		{"ReplaceRecoveryCodes", testReplaceRecoveryCodes},
		{"Disable", testTwoFactorDisable},
		{"LoginChallenges", testLoginChallenges},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, open(t)) })
	}
}

func testSecret(b byte) []byte { return bytes.Repeat([]byte{b}, paradero.MinTOTPSecretLength) }

func codeHashes(prefix string, n int) []paradero.Hash {
	out := make([]paradero.Hash, n)
	for i := range out {
		out[i] = tokenHash(prefix + string(rune('a'+i)))
	}
	return out
}

// enrolled returns a user with secret testSecret(7), last step 100, and
// the recovery codes codeHashes("code-", 10).
func enrolled(t *testing.T, s TwoFactorStore, email string) *paradero.User {
	t.Helper()
	u := newUser(t, s, email, paradero.RoleLawyer)
	if err := s.SetPendingTOTPSecret(t.Context(), u.ID, testSecret(7)); err != nil {
		t.Fatal(err)
	}
	if err := s.EnableTwoFactor(t.Context(), u.ID, testSecret(7), 100, codeHashes("code-", 10), paradero.Hash{}); err != nil {
		t.Fatal(err)
	}
	return u
}

func wantTFCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if got := paradero.ErrorCode(err); got != code {
		t.Errorf("%s: error code %q (%v), want %q", what, got, err, code)
	}
}

func newTFSession(t *testing.T, s TwoFactorStore, userID int64, token string) paradero.Hash {
	t.Helper()
	now := time.Now()
	h := tokenHash(token)
	if err := s.CreateSession(t.Context(), &paradero.Session{TokenHash: h, UserID: userID, CSRFToken: "csrf-" + token,
		CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	return h
}

func sessionAlive(t *testing.T, s TwoFactorStore, h paradero.Hash) bool {
	t.Helper()
	_, _, err := s.FindSession(t.Context(), h, time.Now())
	if err != nil && paradero.ErrorCode(err) != paradero.ENOTFOUND {
		t.Fatal(err)
	}
	return err == nil
}

func testTwoFactorZeroState(t *testing.T, s TwoFactorStore) {
	ctx := t.Context()
	u := newUser(t, s, "ana@example.org", paradero.RoleFamily)
	tf, err := s.FindTwoFactor(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if tf.UserID != u.ID || tf.PendingSecret != nil || tf.LastStep != 0 || tf.RecoveryCodes != 0 || !tf.EnabledAt.IsZero() {
		t.Errorf("FindTwoFactor of a new user = %+v, want the zero state", tf)
	}
	_, err = s.FindTwoFactor(ctx, 999)
	wantTFCode(t, "FindTwoFactor(999)", err, paradero.ENOTFOUND)
	wantTFCode(t, "SetPendingTOTPSecret(999)", s.SetPendingTOTPSecret(ctx, 999, testSecret(1)), paradero.ENOTFOUND)
	wantTFCode(t, "SetPendingTOTPSecret(short)", s.SetPendingTOTPSecret(ctx, u.ID, []byte("short")), paradero.EINVALID)
	wantTFCode(t, "UseTOTPStep of a user without a second factor", s.UseTOTPStep(ctx, u.ID, 5), paradero.ENOTFOUND)
	wantTFCode(t, "UseRecoveryCode of a user without codes", s.UseRecoveryCode(ctx, u.ID, tokenHash("x")), paradero.ENOTFOUND)
	wantTFCode(t, "ReplaceRecoveryCodes without a second factor", s.ReplaceRecoveryCodes(ctx, u.ID, codeHashes("c", 2), paradero.Hash{}), paradero.ECONFLICT)
	wantTFCode(t, "ReplaceRecoveryCodes(999)", s.ReplaceRecoveryCodes(ctx, 999, codeHashes("c", 2), paradero.Hash{}), paradero.ENOTFOUND)
	_, err = s.DisableTwoFactor(ctx, 999, paradero.Hash{})
	wantTFCode(t, "DisableTwoFactor(999)", err, paradero.ENOTFOUND)

	// A pending secret is kept, but signs no one in.
	if err := s.SetPendingTOTPSecret(ctx, u.ID, testSecret(1)); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPendingTOTPSecret(ctx, u.ID, testSecret(2)); err != nil {
		t.Fatal(err)
	}
	tf, err = s.FindTwoFactor(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(tf.PendingSecret, testSecret(2)) || !tf.EnabledAt.IsZero() {
		t.Errorf("after two pending secrets: %+v, want the second pending and nothing enabled", tf)
	}
	got, err := s.FindUserByID(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.TwoFactorEnabled() {
		t.Error("a pending secret enabled two-factor sign-in")
	}
	wantTFCode(t, "UseTOTPStep with only a pending secret", s.UseTOTPStep(ctx, u.ID, 5), paradero.ENOTFOUND)
}

func testTwoFactorEnrol(t *testing.T, s TwoFactorStore) {
	ctx := t.Context()
	u := newUser(t, s, "lawyer@example.org", paradero.RoleLawyer)
	other := newUser(t, s, "other@example.org", paradero.RoleLawyer)
	keep := newTFSession(t, s, u.ID, "keep")
	drop := newTFSession(t, s, u.ID, "drop")
	others := newTFSession(t, s, other.ID, "others")
	now := time.Now()
	ch := &paradero.LoginChallenge{TokenHash: tokenHash("challenge"), UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(time.Minute)}
	if err := s.CreateLoginChallenge(ctx, ch); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPendingTOTPSecret(ctx, u.ID, testSecret(9)); err != nil {
		t.Fatal(err)
	}
	wantTFCode(t, "EnableTwoFactor without codes", s.EnableTwoFactor(ctx, u.ID, testSecret(9), 50, nil, keep), paradero.EINVALID)
	wantTFCode(t, "EnableTwoFactor(999)", s.EnableTwoFactor(ctx, 999, testSecret(9), 50, codeHashes("c", 1), keep), paradero.ENOTFOUND)
	if err := s.EnableTwoFactor(ctx, u.ID, testSecret(9), 50, codeHashes("code-", 10), keep); err != nil {
		t.Fatal(err)
	}
	got, err := s.FindUserByID(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.TOTPSecret, testSecret(9)) || !got.TwoFactorEnabled() {
		t.Errorf("TOTPSecret after enrolling = %x, want the pending secret", got.TOTPSecret)
	}
	tf, err := s.FindTwoFactor(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if tf.PendingSecret != nil || tf.LastStep != 50 || tf.RecoveryCodes != 10 || tf.EnabledAt.IsZero() {
		t.Errorf("after enrolling: %+v, want no pending secret, last step 50, 10 codes, an enabled time", tf)
	}
	if !sessionAlive(t, s, keep) || sessionAlive(t, s, drop) || !sessionAlive(t, s, others) {
		t.Error("enrolling must revoke the user's other sessions, keep the one asked, and leave other users' alone")
	}
	if _, _, err := s.FindLoginChallenge(ctx, ch.TokenHash, now); paradero.ErrorCode(err) != paradero.ENOTFOUND {
		t.Errorf("a login challenge survives enrolling: %v", err)
	}
	// The confirming code's step is spent.
	wantTFCode(t, "UseTOTPStep(50) right after enrolling at 50", s.UseTOTPStep(ctx, u.ID, 50), paradero.ECONFLICT)

	// Enrolling again (a new phone) replaces the secret and the codes.
	if err := s.SetPendingTOTPSecret(ctx, u.ID, testSecret(3)); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.FindUserByID(ctx, u.ID); !bytes.Equal(got.TOTPSecret, testSecret(9)) {
		t.Error("a new pending secret replaced the confirmed one before confirmation")
	}
	if err := s.EnableTwoFactor(ctx, u.ID, testSecret(3), 60, codeHashes("new-", 10), paradero.Hash{}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.FindUserByID(ctx, u.ID); !bytes.Equal(got.TOTPSecret, testSecret(3)) {
		t.Error("enrolling again did not replace the secret")
	}
	wantTFCode(t, "an old recovery code after enrolling again", s.UseRecoveryCode(ctx, u.ID, codeHashes("code-", 1)[0]), paradero.ENOTFOUND)
	if err := s.UseRecoveryCode(ctx, u.ID, codeHashes("new-", 1)[0]); err != nil {
		t.Errorf("a new recovery code: %v", err)
	}
	if sessionAlive(t, s, keep) {
		t.Error("enrolling with the zero keep hash left a session")
	}
}

func testTwoFactorEnrolConflict(t *testing.T, s TwoFactorStore) {
	ctx := t.Context()
	u := newUser(t, s, "doc@example.org", paradero.RoleDocumenter)
	wantTFCode(t, "EnableTwoFactor with nothing pending", s.EnableTwoFactor(ctx, u.ID, testSecret(1), 1, codeHashes("c", 1), paradero.Hash{}), paradero.ECONFLICT)
	if err := s.SetPendingTOTPSecret(ctx, u.ID, testSecret(1)); err != nil {
		t.Fatal(err)
	}
	// Another page made a newer secret: confirming the older one fails.
	if err := s.SetPendingTOTPSecret(ctx, u.ID, testSecret(2)); err != nil {
		t.Fatal(err)
	}
	wantTFCode(t, "EnableTwoFactor with a stale secret", s.EnableTwoFactor(ctx, u.ID, testSecret(1), 1, codeHashes("c", 1), paradero.Hash{}), paradero.ECONFLICT)
	if got, _ := s.FindUserByID(ctx, u.ID); got.TwoFactorEnabled() {
		t.Error("a refused confirmation enabled two-factor sign-in")
	}
	wantTFCode(t, "EnableTwoFactor with a repeated code", s.EnableTwoFactor(ctx, u.ID, testSecret(2), 1,
		[]paradero.Hash{tokenHash("same"), tokenHash("same")}, paradero.Hash{}), paradero.EINVALID)
	if got, _ := s.FindUserByID(ctx, u.ID); got.TwoFactorEnabled() {
		t.Error("a refused confirmation enabled two-factor sign-in")
	}
}

func testTOTPSteps(t *testing.T, s TwoFactorStore) {
	ctx := t.Context()
	u := enrolled(t, s, "lawyer@example.org")
	for _, tt := range []struct {
		step int64
		want string
	}{
		{99, paradero.ECONFLICT},  // before the last
		{100, paradero.ECONFLICT}, // the last itself
		{101, ""},
		{101, paradero.ECONFLICT}, // a replay
		{103, ""},
		{102, paradero.ECONFLICT}, // an older code after a newer one
	} {
		wantTFCode(t, "UseTOTPStep", s.UseTOTPStep(ctx, u.ID, tt.step), tt.want)
	}
	if tf, _ := s.FindTwoFactor(ctx, u.ID); tf.LastStep != 103 {
		t.Errorf("LastStep = %d, want 103", tf.LastStep)
	}
	// Many at once with the same step: exactly one wins.
	var wg sync.WaitGroup
	results := make([]error, 8)
	for i := range results {
		wg.Go(func() { results[i] = s.UseTOTPStep(ctx, u.ID, 104) })
	}
	wg.Wait()
	won := 0
	for _, err := range results {
		switch paradero.ErrorCode(err) {
		case "":
			won++
		case paradero.ECONFLICT:
		default:
			t.Errorf("concurrent UseTOTPStep: %v", err)
		}
	}
	if won != 1 {
		t.Errorf("%d of 8 concurrent uses of one step succeeded, want 1", won)
	}
}

func testRecoveryCodes(t *testing.T, s TwoFactorStore) {
	ctx := t.Context()
	u := enrolled(t, s, "lawyer@example.org")
	v := enrolled(t, s, "other@example.org")
	codes := codeHashes("code-", 10)
	if err := s.UseRecoveryCode(ctx, u.ID, codes[3]); err != nil {
		t.Fatal(err)
	}
	wantTFCode(t, "a spent recovery code", s.UseRecoveryCode(ctx, u.ID, codes[3]), paradero.ENOTFOUND)
	wantTFCode(t, "a code that was never issued", s.UseRecoveryCode(ctx, u.ID, tokenHash("nope")), paradero.ENOTFOUND)
	if tf, _ := s.FindTwoFactor(ctx, u.ID); tf.RecoveryCodes != 9 {
		t.Errorf("RecoveryCodes after one use = %d, want 9", tf.RecoveryCodes)
	}
	// The same code hash of another user is theirs alone.
	if tf, _ := s.FindTwoFactor(ctx, v.ID); tf.RecoveryCodes != 10 {
		t.Errorf("the other user's codes = %d, want 10", tf.RecoveryCodes)
	}
	if err := s.UseRecoveryCode(ctx, v.ID, codes[3]); err != nil {
		t.Errorf("the other user's own code: %v", err)
	}
	var wg sync.WaitGroup
	results := make([]error, 8)
	for i := range results {
		wg.Go(func() { results[i] = s.UseRecoveryCode(ctx, u.ID, codes[5]) })
	}
	wg.Wait()
	won := 0
	for _, err := range results {
		switch paradero.ErrorCode(err) {
		case "":
			won++
		case paradero.ENOTFOUND:
		default:
			t.Errorf("concurrent UseRecoveryCode: %v", err)
		}
	}
	if won != 1 {
		t.Errorf("%d of 8 concurrent uses of one recovery code succeeded, want 1", won)
	}
}

func testReplaceRecoveryCodes(t *testing.T, s TwoFactorStore) {
	ctx := t.Context()
	u := enrolled(t, s, "lawyer@example.org")
	keep := newTFSession(t, s, u.ID, "keep")
	drop := newTFSession(t, s, u.ID, "drop")
	if err := s.ReplaceRecoveryCodes(ctx, u.ID, codeHashes("fresh-", 10), keep); err != nil {
		t.Fatal(err)
	}
	wantTFCode(t, "an old code after replacing", s.UseRecoveryCode(ctx, u.ID, codeHashes("code-", 1)[0]), paradero.ENOTFOUND)
	if err := s.UseRecoveryCode(ctx, u.ID, codeHashes("fresh-", 1)[0]); err != nil {
		t.Errorf("a new code: %v", err)
	}
	if tf, _ := s.FindTwoFactor(ctx, u.ID); tf.RecoveryCodes != 9 || tf.LastStep != 100 {
		t.Errorf("after replacing and one use: %+v, want 9 codes and the last step unchanged", tf)
	}
	if !sessionAlive(t, s, keep) || sessionAlive(t, s, drop) {
		t.Error("replacing recovery codes must revoke the other sessions and keep the one asked")
	}
	wantTFCode(t, "ReplaceRecoveryCodes with none", s.ReplaceRecoveryCodes(ctx, u.ID, nil, keep), paradero.EINVALID)
	wantTFCode(t, "ReplaceRecoveryCodes with a repeated code", s.ReplaceRecoveryCodes(ctx, u.ID,
		[]paradero.Hash{tokenHash("same"), tokenHash("same")}, keep), paradero.EINVALID)
	if tf, _ := s.FindTwoFactor(ctx, u.ID); tf.RecoveryCodes != 9 {
		t.Errorf("a refused replacement changed the codes: %d left, want 9", tf.RecoveryCodes)
	}
}

func testTwoFactorDisable(t *testing.T, s TwoFactorStore) {
	ctx := t.Context()
	u := enrolled(t, s, "lawyer@example.org")
	keep := newTFSession(t, s, u.ID, "keep")
	newTFSession(t, s, u.ID, "drop-1")
	newTFSession(t, s, u.ID, "drop-2")
	now := time.Now()
	ch := &paradero.LoginChallenge{TokenHash: tokenHash("challenge"), UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(time.Minute)}
	if err := s.CreateLoginChallenge(ctx, ch); err != nil {
		t.Fatal(err)
	}
	n, err := s.DisableTwoFactor(ctx, u.ID, keep)
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 || !sessionAlive(t, s, keep) {
		t.Errorf("DisableTwoFactor revoked %d sessions (keeping one: %v), want 2 and the kept one alive", n, sessionAlive(t, s, keep))
	}
	got, _ := s.FindUserByID(ctx, u.ID)
	tf, _ := s.FindTwoFactor(ctx, u.ID)
	if got.TwoFactorEnabled() || tf.RecoveryCodes != 0 || tf.LastStep != 0 || !tf.EnabledAt.IsZero() {
		t.Errorf("after disabling: secret %x, state %+v; want none", got.TOTPSecret, tf)
	}
	wantTFCode(t, "UseTOTPStep after disabling", s.UseTOTPStep(ctx, u.ID, 500), paradero.ENOTFOUND)
	wantTFCode(t, "a recovery code after disabling", s.UseRecoveryCode(ctx, u.ID, codeHashes("code-", 1)[0]), paradero.ENOTFOUND)
	if _, _, err := s.FindLoginChallenge(ctx, ch.TokenHash, now); paradero.ErrorCode(err) != paradero.ENOTFOUND {
		t.Errorf("a login challenge survives disabling: %v", err)
	}
	// An administrator's reset keeps no session at all.
	if n, err := s.DisableTwoFactor(ctx, u.ID, paradero.Hash{}); err != nil || n != 1 || sessionAlive(t, s, keep) {
		t.Errorf("DisableTwoFactor keeping none = %d, %v; want 1 and no session left", n, err)
	}
}

func testLoginChallenges(t *testing.T, s TwoFactorStore) {
	ctx := t.Context()
	u := enrolled(t, s, "lawyer@example.org")
	now := time.Date(2025, 3, 16, 9, 0, 0, 123456789, time.UTC)
	ch := &paradero.LoginChallenge{TokenHash: tokenHash("one"), UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(5 * time.Minute)}
	wantTFCode(t, "CreateLoginChallenge without a token", s.CreateLoginChallenge(ctx, &paradero.LoginChallenge{UserID: u.ID, ExpiresAt: now}), paradero.EINVALID)
	wantTFCode(t, "CreateLoginChallenge for user 999", s.CreateLoginChallenge(ctx,
		&paradero.LoginChallenge{TokenHash: tokenHash("x"), UserID: 999, CreatedAt: now, ExpiresAt: now.Add(time.Minute)}), paradero.ENOTFOUND)
	if err := s.CreateLoginChallenge(ctx, ch); err != nil {
		t.Fatal(err)
	}
	wantTFCode(t, "CreateLoginChallenge with a token in use", s.CreateLoginChallenge(ctx,
		&paradero.LoginChallenge{TokenHash: tokenHash("one"), UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(time.Minute)}), paradero.ECONFLICT)
	got, gu, err := s.FindLoginChallenge(ctx, ch.TokenHash, now.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if got.UserID != u.ID || !got.CreatedAt.Equal(paradero.Timestamp(now)) || !got.ExpiresAt.Equal(paradero.Timestamp(now.Add(5*time.Minute))) ||
		got.TokenHash != ch.TokenHash || gu.ID != u.ID || !bytes.Equal(gu.TOTPSecret, testSecret(7)) {
		t.Errorf("FindLoginChallenge = %+v, user %d", got, gu.ID)
	}
	// A challenge is not a session.
	if _, _, err := s.FindSession(ctx, ch.TokenHash, now); paradero.ErrorCode(err) != paradero.ENOTFOUND {
		t.Errorf("FindSession with a challenge's token = %v, want ENOTFOUND", err)
	}
	_, _, err = s.FindLoginChallenge(ctx, ch.TokenHash, now.Add(5*time.Minute))
	wantTFCode(t, "an expired challenge", err, paradero.ENOTFOUND)
	_, _, err = s.FindLoginChallenge(ctx, tokenHash("two"), now)
	wantTFCode(t, "an unknown challenge", err, paradero.ENOTFOUND)

	// A disabled user's challenge is gone too.
	yes := true
	if _, err := s.UpdateUser(ctx, u.ID, paradero.UserUpdate{Disabled: &yes}); err != nil {
		t.Fatal(err)
	}
	_, _, err = s.FindLoginChallenge(ctx, ch.TokenHash, now)
	wantTFCode(t, "a disabled user's challenge", err, paradero.ENOTFOUND)
	no := false
	if _, err := s.UpdateUser(ctx, u.ID, paradero.UserUpdate{Disabled: &no}); err != nil {
		t.Fatal(err)
	}

	if err := s.DeleteLoginChallenge(ctx, ch.TokenHash); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteLoginChallenge(ctx, ch.TokenHash); err != nil {
		t.Errorf("deleting a missing challenge: %v", err)
	}
	_, _, err = s.FindLoginChallenge(ctx, ch.TokenHash, now)
	wantTFCode(t, "a deleted challenge", err, paradero.ENOTFOUND)

	// Creating one sweeps the expired: the old token, its expiry passed,
	// can be created again without a conflict.
	old := &paradero.LoginChallenge{TokenHash: tokenHash("old"), UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(time.Minute)}
	if err := s.CreateLoginChallenge(ctx, old); err != nil {
		t.Fatal(err)
	}
	later := now.Add(time.Hour)
	if err := s.CreateLoginChallenge(ctx, &paradero.LoginChallenge{TokenHash: tokenHash("new"), UserID: u.ID, CreatedAt: later, ExpiresAt: later.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateLoginChallenge(ctx, &paradero.LoginChallenge{TokenHash: tokenHash("old"), UserID: u.ID, CreatedAt: later, ExpiresAt: later.Add(time.Minute)}); err != nil {
		t.Errorf("the expired challenge was not swept: %v", err)
	}
}
