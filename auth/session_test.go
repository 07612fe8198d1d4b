package auth_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rampart-go/rampart/auth"
)

// sessionEnv is a Sessions with a memory revocation store on one synthetic tokClock.
type sessionEnv struct {
	clk   *tokClock
	store *auth.MemoryRevocationStore
	kr    *auth.Keyring
	s     *auth.Sessions
}

func newSessionEnv(t *testing.T, cfg auth.SessionConfig, withStore bool) *sessionEnv {
	t.Helper()
	e := &sessionEnv{clk: newTokClock()}
	tc := auth.TokenConfig{Now: e.clk.Now}
	if withStore {
		store, err := auth.NewMemoryRevocationStore(auth.MemoryRevocationConfig{Now: e.clk.Now})
		if err != nil {
			t.Fatal(err)
		}
		e.store, tc.Revocation = store, store
	}
	e.kr = newTokKeyring(t, tc)
	s, err := auth.NewSessions(e.kr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.s = s
	return e
}

func (e *sessionEnv) login(t *testing.T, roles ...string) (string, auth.Claims) {
	t.Helper()
	tok, c, err := e.s.Login(t.Context(), auth.Claims{Subject: "alice", Roles: roles})
	if err != nil {
		t.Fatal(err)
	}
	return tok, c
}

func TestSessionTimeouts(t *testing.T) {
	cfg := auth.SessionConfig{IdleTimeout: 10 * time.Minute, AbsoluteTimeout: time.Hour, RenewAfter: 2 * time.Minute}
	type step struct {
		advance   time.Duration // then:
		wantValid bool          // whether the current token verifies
		wantRenew bool          // whether Renew re-issues it (only if valid); the new token becomes current
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"fresh token, too young to renew", []step{{0, true, false}, {time.Minute, true, false}}},
		{"renewal after RenewAfter", []step{{2 * time.Minute, true, true}, {time.Minute, true, false}}},
		{"idle timeout", []step{{10*time.Minute - time.Second, true, true}, {10 * time.Minute, false, false}}},
		{"idle exactly at expiry", []step{{10 * time.Minute, false, false}}},
		{"activity keeps the session alive until the absolute timeout", []step{
			{9 * time.Minute, true, true}, {9 * time.Minute, true, true}, {9 * time.Minute, true, true},
			{9 * time.Minute, true, true}, {9 * time.Minute, true, true}, {9 * time.Minute, true, true}, // t = 54m
			{5 * time.Minute, true, false}, // t = 59m: the token already expires at the deadline
			{time.Minute, false, false},    // t = 60m: absolute timeout
		}},
		{"renewal never extends the absolute deadline", []step{
			{9 * time.Minute, true, true}, {9 * time.Minute, true, true}, {9 * time.Minute, true, true},
			{9 * time.Minute, true, true}, {9 * time.Minute, true, true}, {4 * time.Minute, true, true}, // t = 49m, expires 59m
			{9 * time.Minute, true, true}, // t = 58m: renewed, but expires at 60m, not 68m
			{2*time.Minute - time.Second, true, false},
			{time.Second, false, false},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newSessionEnv(t, cfg, true)
			tok, first := e.login(t, "user")
			for i, st := range tc.steps {
				e.clk.Advance(st.advance)
				c, err := e.s.Verify(t.Context(), tok)
				if st.wantValid != (err == nil) {
					t.Fatalf("step %d (tokT0+%v): Verify error = %v, want valid=%v", i, e.clk.Now().Sub(tokT0), err, st.wantValid)
				}
				if err != nil {
					checkTokenErr(t, err, auth.ErrExpired)
					continue
				}
				if c.ID != first.ID || !c.AuthTime.Equal(first.AuthTime) {
					t.Fatalf("step %d: session ID or login time changed by renewal", i)
				}
				if d := e.s.Deadline(c); c.Expiry.After(d) {
					t.Fatalf("step %d: token expires at %v, after the absolute deadline %v", i, c.Expiry, d)
				}
				next, err := e.s.Renew(t.Context(), c)
				if err != nil {
					t.Fatalf("step %d: Renew error: %v", i, err)
				}
				if (next != "") != st.wantRenew {
					t.Fatalf("step %d (tokT0+%v): Renew re-issued = %v, want %v", i, e.clk.Now().Sub(tokT0), next != "", st.wantRenew)
				}
				if next != "" {
					tok = next
				}
			}
		})
	}
}

func TestSessionLoginDrawsNewIDs(t *testing.T) {
	e := newSessionEnv(t, auth.SessionConfig{}, false)
	_, a := e.login(t)
	_, b := e.login(t)
	if a.ID == b.ID {
		t.Error("two logins share a session ID")
	}
	if !a.AuthTime.Equal(tokT0) || !a.Expiry.Equal(tokT0.Add(auth.DefaultSessionIdleTimeout)) {
		t.Errorf("Login claims AuthTime %v, Expiry %v; want %v, %v", a.AuthTime, a.Expiry, tokT0, tokT0.Add(auth.DefaultSessionIdleTimeout))
	}
	// Caller-supplied IDs and times are ignored: a planted session ID cannot survive login.
	_, c, err := e.s.Login(t.Context(), auth.Claims{Subject: "alice", ID: auth.TokenID{1}, AuthTime: tokT0.Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if c.ID == (auth.TokenID{1}) || !c.AuthTime.Equal(tokT0) {
		t.Errorf("Login kept caller-supplied ID %v or AuthTime %v", c.ID, c.AuthTime)
	}
}

func TestSessionPrivilegeChange(t *testing.T) {
	e := newSessionEnv(t, auth.SessionConfig{}, true)
	oldTok, old := e.login(t, "user", "admin")
	e.clk.Advance(5 * time.Minute)
	newTok, nc, err := e.s.ChangeRoles(t.Context(), old, []string{"user"})
	if err != nil {
		t.Fatal(err)
	}
	if nc.ID == old.ID || !nc.AuthTime.Equal(old.AuthTime) || nc.HasRole("admin") || !nc.HasRole("user") {
		t.Errorf("ChangeRoles claims = %+v; want a new ID, the old login time, roles [user]", nc)
	}
	_, err = e.s.Verify(t.Context(), oldTok)
	checkTokenErr(t, err, auth.ErrRevoked)
	if got, err := e.s.Verify(t.Context(), newTok); err != nil || got.HasRole("admin") {
		t.Errorf("Verify(new token) = %+v, %v; want roles [user]", got, err)
	}

	// Reauthenticate: new ID, new login time, old token revoked.
	e.clk.Advance(11 * time.Minute)
	if e.s.Fresh(nc, 10*time.Minute) {
		t.Error("session is fresh within 10 minutes, 16 minutes after login")
	}
	reTok, rc, err := e.s.Reauthenticate(t.Context(), nc)
	if err != nil {
		t.Fatal(err)
	}
	if rc.ID == nc.ID || !rc.AuthTime.Equal(e.clk.Now()) || !e.s.Fresh(rc, 10*time.Minute) {
		t.Errorf("Reauthenticate claims = %+v; want a new ID and login time now", rc)
	}
	_, err = e.s.Verify(t.Context(), newTok)
	checkTokenErr(t, err, auth.ErrRevoked)
	if _, err := e.s.Verify(t.Context(), reTok); err != nil {
		t.Errorf("Verify(reauthenticated token): %v", err)
	}
}

func TestSessionFresh(t *testing.T) {
	e := newSessionEnv(t, auth.SessionConfig{}, false)
	_, c := e.login(t)
	tests := []struct {
		at     time.Duration
		within time.Duration
		want   bool
	}{
		{0, 5 * time.Minute, true},
		{5 * time.Minute, 5 * time.Minute, true},
		{5*time.Minute + time.Second, 5 * time.Minute, false},
		{time.Minute, 0, false},
		{-time.Hour, 5 * time.Minute, false}, // login time in the future: not fresh
	}
	for _, tc := range tests {
		if got := e.s.FreshAt(tokT0.Add(tc.at), c, tc.within); got != tc.want {
			t.Errorf("FreshAt(tokT0%+v, within %v) = %v, want %v", tc.at, tc.within, got, tc.want)
		}
	}
	if e.s.FreshAt(tokT0, auth.Claims{}, time.Hour) {
		t.Error("claims without a login time are fresh")
	}
}

func TestSessionLogout(t *testing.T) {
	e := newSessionEnv(t, auth.SessionConfig{IdleTimeout: 10 * time.Minute, AbsoluteTimeout: time.Hour}, true)
	tok, c := e.login(t)
	e.clk.Advance(6 * time.Minute)
	renewed, err := e.s.Renew(t.Context(), c)
	if err != nil || renewed == "" {
		t.Fatalf("Renew = %q, %v", renewed, err)
	}
	if err := e.s.Logout(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	for _, tk := range []string{tok, renewed} {
		_, err := e.s.Verify(t.Context(), tk)
		checkTokenErr(t, err, auth.ErrRevoked)
	}
	// The denylist entry lasts until the absolute deadline, so the renewed token stays dead.
	e.clk.Advance(9 * time.Minute)
	_, err = e.s.Verify(t.Context(), renewed)
	checkTokenErr(t, err, auth.ErrRevoked)

	// Log out everywhere: every session so far ends, a renewal of an old one does not revive it,
	// and new logins work.
	e2 := newSessionEnv(t, auth.SessionConfig{IdleTimeout: 10 * time.Minute}, true)
	tokA, a := e2.login(t)
	tokB, _ := e2.login(t)
	e2.clk.Advance(6 * time.Minute)
	if err := e2.s.LogoutEverywhere(t.Context(), "alice"); err != nil {
		t.Fatal(err)
	}
	renewedA, err := e2.s.Renew(t.Context(), a)
	if err != nil {
		t.Fatal(err)
	}
	for _, tk := range []string{tokA, tokB, renewedA} {
		_, err := e2.s.Verify(t.Context(), tk)
		checkTokenErr(t, err, auth.ErrRevoked)
	}
	tokC, _ := e2.login(t)
	if _, err := e2.s.Verify(t.Context(), tokC); err != nil {
		t.Errorf("login after LogoutEverywhere: %v", err)
	}

	// Without a store, Logout says so.
	e3 := newSessionEnv(t, auth.SessionConfig{}, false)
	_, c3 := e3.login(t)
	if err := e3.s.Logout(t.Context(), c3); !errors.Is(err, auth.ErrNoRevocationStore) {
		t.Errorf("Logout without store error = %v, want ErrNoRevocationStore", err)
	}
}

func TestSessionPurposeIsolation(t *testing.T) {
	e := newSessionEnv(t, auth.SessionConfig{}, false)
	tok, _ := e.login(t)
	admin, err := auth.NewSessions(e.kr, auth.SessionConfig{Purpose: "admin-session"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = admin.Verify(t.Context(), tok)
	checkTokenErr(t, err, auth.ErrInvalidToken)
	// A plain token of the session purpose but without a login time is not a session.
	plain := tokSign(t, e.kr, auth.DefaultSessionPurpose, auth.Claims{Subject: "alice"})
	_, err = e.s.Verify(t.Context(), plain)
	checkTokenErr(t, err, auth.ErrInvalidToken)
}

func TestSessionAbsoluteTimeoutShortened(t *testing.T) {
	e := newSessionEnv(t, auth.SessionConfig{IdleTimeout: time.Hour, AbsoluteTimeout: 24 * time.Hour}, false)
	tok, _ := e.login(t)
	shorter, err := auth.NewSessions(e.kr, auth.SessionConfig{IdleTimeout: 10 * time.Minute, AbsoluteTimeout: 20 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := shorter.VerifyAt(t.Context(), tokT0.Add(19*time.Minute), tok); err != nil {
		t.Errorf("before the new deadline: %v", err)
	}
	_, err = shorter.VerifyAt(t.Context(), tokT0.Add(20*time.Minute), tok)
	checkTokenErr(t, err, auth.ErrExpired)
}

func TestNewSessionsValidation(t *testing.T) {
	kr := newTokKeyring(t, auth.TokenConfig{})
	for name, cfg := range map[string]auth.SessionConfig{
		"tiny idle":                 {IdleTimeout: time.Millisecond},
		"absolute below idle":       {IdleTimeout: time.Hour, AbsoluteTimeout: time.Minute},
		"renew after idle":          {IdleTimeout: time.Hour, RenewAfter: time.Hour},
		"negative renew":            {RenewAfter: -time.Second},
		"purpose too long":          {Purpose: string(make([]byte, auth.MaxPurposeLen+1))},
		"negative absolute timeout": {AbsoluteTimeout: -time.Hour},
	} {
		if _, err := auth.NewSessions(kr, cfg); err == nil {
			t.Errorf("NewSessions(%s) succeeded, want error", name)
		}
	}
	if _, err := auth.NewSessions(nil, auth.SessionConfig{}); err == nil {
		t.Error("NewSessions(nil keyring) succeeded")
	}
}

// racingStore runs "log out everywhere" for its subject right after the next Lookup has read
// the generation: the race between a session replacement's revocation check and its signing.
type racingStore struct {
	*auth.MemoryRevocationStore
	armed bool
}

func (s *racingStore) Lookup(ctx context.Context, subject string, id auth.TokenID) (uint64, bool, error) {
	g, revoked, err := s.MemoryRevocationStore.Lookup(ctx, subject, id)
	if err == nil {
		err = s.race(ctx, subject)
	}
	return g, revoked, err
}

// Generation is where a replacement through RevokeOnce reads the generation.
func (s *racingStore) Generation(ctx context.Context, subject string) (uint64, error) {
	g, err := s.MemoryRevocationStore.Generation(ctx, subject)
	if err == nil {
		err = s.race(ctx, subject)
	}
	return g, err
}

func (s *racingStore) race(ctx context.Context, subject string) error {
	if !s.armed {
		return nil
	}
	s.armed = false
	_, err := s.IncrementGeneration(ctx, subject)
	return err
}

// plainStore hides the RevokeOnce method of the store it holds: a RevocationStore only, which
// Sessions replaces by check, sign, then revoke.
type plainStore struct{ auth.RevocationStore }

// TestSessionReplacementKeepsGeneration: a privilege change or re-authentication racing with
// "log out everywhere" (the logout lands after the replacement checked the old session, before
// it signed the new one) must not yield a live session: the new token keeps the old generation.
func TestSessionReplacementKeepsGeneration(t *testing.T) {
	for _, name := range []string{"ChangeRoles", "Reauthenticate", "ChangeRoles, plain store", "Reauthenticate, plain store"} {
		t.Run(name, func(t *testing.T) {
			clk := newTokClock()
			mem, err := auth.NewMemoryRevocationStore(auth.MemoryRevocationConfig{Now: clk.Now})
			if err != nil {
				t.Fatal(err)
			}
			store := &racingStore{MemoryRevocationStore: mem}
			var rs auth.RevocationStore = store
			if strings.HasSuffix(name, "plain store") {
				rs = plainStore{store}
			}
			s, err := auth.NewSessions(newTokKeyring(t, auth.TokenConfig{Now: clk.Now, Revocation: rs}), auth.SessionConfig{})
			if err != nil {
				t.Fatal(err)
			}
			_, c, err := s.Login(t.Context(), auth.Claims{Subject: "alice", Roles: []string{"user"}})
			if err != nil {
				t.Fatal(err)
			}
			store.armed = true
			var tok string
			if strings.HasPrefix(name, "ChangeRoles") {
				tok, _, err = s.ChangeRoles(t.Context(), c, []string{"admin"})
			} else {
				tok, _, err = s.Reauthenticate(t.Context(), c)
			}
			if err != nil {
				t.Fatal(err)
			}
			if store.armed {
				t.Fatal("the replacement never consulted the store")
			}
			_, err = s.Verify(t.Context(), tok)
			checkTokenErr(t, err, auth.ErrRevoked)
		})
	}
}

// TestKeyringRevokeOfSessionExpiresWithToken pins what the Keyring.Revoke doc warns of: the
// denylist entry of Keyring.Revoke ends at the revoked token's expiry, so a renewed token of the
// same session verifies again afterwards, whereas Sessions.Logout holds until the deadline.
func TestKeyringRevokeOfSessionExpiresWithToken(t *testing.T) {
	e := newSessionEnv(t, auth.SessionConfig{IdleTimeout: 10 * time.Minute, AbsoluteTimeout: time.Hour}, true)
	_, c := e.login(t)
	e.clk.Advance(6 * time.Minute)
	renewed, err := e.s.Renew(t.Context(), c)
	if err != nil || renewed == "" {
		t.Fatalf("Renew = %q, %v", renewed, err)
	}
	if err := e.kr.Revoke(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	_, err = e.s.Verify(t.Context(), renewed)
	checkTokenErr(t, err, auth.ErrRevoked)
	e.clk.Advance(5 * time.Minute) // past c.Expiry, before the renewed token's
	if _, err := e.s.Verify(t.Context(), renewed); err != nil {
		t.Fatalf("renewed token after the Keyring.Revoke entry expired: %v (the doc says it verifies again)", err)
	}
	if err := e.s.Logout(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	_, err = e.s.Verify(t.Context(), renewed)
	checkTokenErr(t, err, auth.ErrRevoked)
}

// TestSessionReplaceAfterLogout: ChangeRoles and Reauthenticate draw a new session ID, so given
// the claims of a session that was logged out after they were verified (a concurrent request,
// claims kept too long), they must refuse rather than mint a live successor.
func TestSessionReplaceAfterLogout(t *testing.T) {
	for _, tc := range []struct {
		name    string
		replace func(e *sessionEnv, c auth.Claims) (string, auth.Claims, error)
	}{
		{"ChangeRoles", func(e *sessionEnv, c auth.Claims) (string, auth.Claims, error) {
			return e.s.ChangeRoles(t.Context(), c, []string{"admin"})
		}},
		{"Reauthenticate", func(e *sessionEnv, c auth.Claims) (string, auth.Claims, error) {
			return e.s.Reauthenticate(t.Context(), c)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newSessionEnv(t, auth.SessionConfig{}, true)
			_, c := e.login(t, "user")
			if err := e.s.Logout(t.Context(), c); err != nil {
				t.Fatal(err)
			}
			tok, _, err := tc.replace(e, c)
			checkTokenErr(t, err, auth.ErrRevoked)
			if tok != "" {
				t.Errorf("%s of a logged-out session returned a token", tc.name)
			}
			// A live session is replaced as before.
			_, c = e.login(t, "user")
			tok, _, err = tc.replace(e, c)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.s.Verify(t.Context(), tok); err != nil {
				t.Errorf("Verify(replacement) = %v", err)
			}
		})
	}
}

// TestReplaceWhenStoreFull: a user at their share of the denylist cannot keep a session with
// revoked privileges alive by making ChangeRoles (or Reauthenticate) fail to revoke it: every
// session of the user ends instead, and the error says the store was full.
func TestReplaceWhenStoreFull(t *testing.T) {
	for _, name := range []string{"ChangeRoles", "Reauthenticate"} {
		t.Run(name, func(t *testing.T) {
			clk := newTokClock()
			store, err := auth.NewMemoryRevocationStore(auth.MemoryRevocationConfig{MaxTokensPerSubject: 1, Now: clk.Now})
			if err != nil {
				t.Fatal(err)
			}
			kr := newTokKeyring(t, auth.TokenConfig{Now: clk.Now, Revocation: store})
			s, err := auth.NewSessions(kr, auth.SessionConfig{})
			if err != nil {
				t.Fatal(err)
			}
			// One logout fills alice's share.
			_, other, err := s.Login(t.Context(), auth.Claims{Subject: "alice"})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Logout(t.Context(), other); err != nil {
				t.Fatal(err)
			}
			tok, c, err := s.Login(t.Context(), auth.Claims{Subject: "alice", Roles: []string{"admin"}})
			if err != nil {
				t.Fatal(err)
			}
			var newTok string
			if name == "ChangeRoles" {
				newTok, _, err = s.ChangeRoles(t.Context(), c, []string{"user"})
			} else {
				newTok, _, err = s.Reauthenticate(t.Context(), c)
			}
			if !errors.Is(err, auth.ErrRevocationStoreFull) || newTok != "" {
				t.Fatalf("%s with a full share = %q, %v; want no token and ErrRevocationStoreFull", name, newTok, err)
			}
			if _, err := s.Verify(t.Context(), tok); !errors.Is(err, auth.ErrRevoked) {
				t.Errorf("the replaced admin token still verifies (err %v)", err)
			}
			// bob is not affected.
			if _, _, err := s.Login(t.Context(), auth.Claims{Subject: "bob"}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestLogoutWhenStoreFull checks that a logout the denylist cannot record (other users filled
// it) still ends the session, by ending every session of the user, and that other users keep
// theirs.
func TestLogoutWhenStoreFull(t *testing.T) {
	clk := newTokClock()
	store, err := auth.NewMemoryRevocationStore(auth.MemoryRevocationConfig{MaxTokens: 4, MaxTokensPerSubject: 2, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	s, err := auth.NewSessions(newTokKeyring(t, auth.TokenConfig{Now: clk.Now, Revocation: store}), auth.SessionConfig{})
	if err != nil {
		t.Fatal(err)
	}
	// Two accounts, each within its share, fill the denylist.
	for _, sybil := range []string{"sybil0", "sybil1"} {
		for range 2 {
			_, c, err := s.Login(t.Context(), auth.Claims{Subject: sybil})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Logout(t.Context(), c); err != nil {
				t.Fatal(err)
			}
		}
	}
	bobTok, _, err := s.Login(t.Context(), auth.Claims{Subject: "bob"})
	if err != nil {
		t.Fatal(err)
	}
	tok, c, err := s.Login(t.Context(), auth.Claims{Subject: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	otherTok, _, err := s.Login(t.Context(), auth.Claims{Subject: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Logout(t.Context(), c); err != nil {
		t.Fatalf("Logout with a full denylist = %v, want nil (every session of the user ended)", err)
	}
	for name, tk := range map[string]string{"the logged-out token": tok, "alice's other session": otherTok} {
		if _, err := s.Verify(t.Context(), tk); !errors.Is(err, auth.ErrRevoked) {
			t.Errorf("%s verifies after Logout (err %v), want ErrRevoked", name, err)
		}
	}
	if _, err := s.Verify(t.Context(), bobTok); err != nil {
		t.Errorf("bob's session after alice's logout: %v", err)
	}
}

// TestRevokeRefusesClaimsNotFromVerify checks that revoking claims without an expiry
// (Keyring.Revoke) or a login time (Sessions.Logout), which would file an entry that expired
// at once, fails with ErrInvalidClaims, and that Sessions.RevokeID ends a session known only
// by its ID, renewed tokens included, until the absolute deadline.
func TestRevokeRefusesClaimsNotFromVerify(t *testing.T) {
	e := newSessionEnv(t, auth.SessionConfig{IdleTimeout: time.Hour, AbsoluteTimeout: 12 * time.Hour}, true)
	s, kr, clk := e.s, e.kr, e.clk
	tok, c := e.login(t)
	id, err := auth.ParseTokenID(c.ID.String()) // as an operator would, from a log
	if err != nil {
		t.Fatal(err)
	}
	bare := auth.Claims{Subject: "alice", ID: id}
	if err := kr.Revoke(t.Context(), bare); !errors.Is(err, auth.ErrInvalidClaims) {
		t.Errorf("Keyring.Revoke(claims without Expiry) = %v, want ErrInvalidClaims", err)
	}
	if err := s.Logout(t.Context(), bare); !errors.Is(err, auth.ErrInvalidClaims) {
		t.Errorf("Sessions.Logout(claims without AuthTime) = %v, want ErrInvalidClaims", err)
	}
	if _, err := s.Verify(t.Context(), tok); err != nil {
		t.Fatalf("the refused revocations touched the session: %v", err)
	}
	// Renew the session, then revoke it by ID: every token of it fails, and so does one
	// renewed from it hours later, until the absolute deadline.
	clk.Advance(50 * time.Minute)
	renewed, err := s.Renew(t.Context(), c)
	if err != nil || renewed == "" {
		t.Fatalf("Renew = %q, %v", renewed, err)
	}
	rc, err := s.Verify(t.Context(), renewed)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeID(t.Context(), "alice", id); err != nil {
		t.Fatal(err)
	}
	for name, tk := range map[string]string{"original": tok, "renewed": renewed} {
		if _, err := s.Verify(t.Context(), tk); !errors.Is(err, auth.ErrRevoked) {
			t.Errorf("%s token of a session revoked by ID: %v, want ErrRevoked", name, err)
		}
	}
	clk.Advance(40 * time.Minute)
	if later, err := s.Renew(t.Context(), rc); err == nil && later != "" {
		if _, err := s.Verify(t.Context(), later); !errors.Is(err, auth.ErrRevoked) {
			t.Errorf("a token renewed after RevokeID verifies (err %v)", err)
		}
	}
}

// TestConcurrentReplacementsOneWins runs ChangeRoles (a demotion) and Reauthenticate of one
// session at once from several goroutines, as concurrent requests of the session would:
// with a RevokeOnceStore exactly one replacement succeeds and the others fail with ErrRevoked,
// so a demotion cannot be undone by a re-authentication racing with it.
func TestConcurrentReplacementsOneWins(t *testing.T) {
	e := newSessionEnv(t, auth.SessionConfig{}, true)
	s := e.s
	for round := range 20 {
		_, c := e.login(t, "admin")
		var mu sync.Mutex
		var won []string
		var wg sync.WaitGroup
		for i := range 6 {
			wg.Go(func() {
				var tok string
				var err error
				if i%2 == 0 {
					tok, _, err = s.ChangeRoles(t.Context(), c, []string{"user"})
				} else {
					tok, _, err = s.Reauthenticate(t.Context(), c)
				}
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					won = append(won, tok)
				case !errors.Is(err, auth.ErrRevoked):
					t.Errorf("round %d: replacement = %v, want nil or ErrRevoked", round, err)
				}
			})
		}
		wg.Wait()
		if len(won) != 1 {
			t.Fatalf("round %d: %d replacements of one session succeeded, want exactly 1", round, len(won))
		}
		if _, err := s.Verify(t.Context(), won[0]); err != nil {
			t.Errorf("round %d: the winning replacement does not verify: %v", round, err)
		}
	}
}

// TestRefusedReplacementChangesNothing checks that a replacement whose new claims cannot be
// signed (too many roles) fails without retiring the session: the old token still verifies and
// a valid replacement then succeeds.
func TestRefusedReplacementChangesNothing(t *testing.T) {
	e := newSessionEnv(t, auth.SessionConfig{}, true)
	s := e.s
	tok, c := e.login(t, "admin")
	tooMany := make([]string, auth.MaxRoles+1)
	for i := range tooMany {
		tooMany[i] = "r" + strconv.Itoa(i)
	}
	if _, _, err := s.ChangeRoles(t.Context(), c, tooMany); !errors.Is(err, auth.ErrInvalidClaims) {
		t.Fatalf("ChangeRoles(%d roles) = %v, want ErrInvalidClaims", len(tooMany), err)
	}
	if _, err := s.Verify(t.Context(), tok); err != nil {
		t.Fatalf("the session after a refused ChangeRoles: %v, want it still valid", err)
	}
	if _, _, err := s.ChangeRoles(t.Context(), c, []string{"user"}); err != nil {
		t.Fatalf("a valid ChangeRoles after a refused one: %v", err)
	}
}
