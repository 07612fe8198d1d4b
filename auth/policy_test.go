package auth_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/rampart-go/rampart/auth"
)

func TestPasswordPolicyCheck(t *testing.T) {
	ctx := context.Background()
	p := &auth.PasswordPolicy{ContextWords: []string{"Rampart Bank"}}
	tests := []struct {
		password string
		context  []string
		want     []auth.PolicyReason
	}{
		{"correct horse battery staple", nil, nil},
		{"Tr0ub4dor&3-xyzzy", nil, nil},
		{"日本語のパスワードです", nil, nil}, // 11 code points, 33 bytes
		{"pässwörd-glacier", nil, nil},
		{"short", nil, []auth.PolicyReason{auth.PolicyTooShort}},
		{"日本語のパス", nil, []auth.PolicyReason{auth.PolicyTooShort}}, // 6 code points, 18 bytes
		{strings.Repeat("x", 65), nil, []auth.PolicyReason{auth.PolicyTooLong}},
		{"password", nil, []auth.PolicyReason{auth.PolicyCommon}},
		{"PASSWORD", nil, []auth.PolicyReason{auth.PolicyCommon}},
		{"Password2024!", nil, []auth.PolicyReason{auth.PolicyCommon}},
		{"1qwertyuiop", nil, []auth.PolicyReason{auth.PolicyCommon}},
		{"iloveyou", nil, []auth.PolicyReason{auth.PolicyCommon}},
		{"12345678", nil, []auth.PolicyReason{auth.PolicyCommon, auth.PolicyRepetitive}},
		{"aaaaaaaaaa", nil, []auth.PolicyReason{auth.PolicyRepetitive}},
		{"zyxwvutsrq", nil, []auth.PolicyReason{auth.PolicyRepetitive}},
		{"1234abcd", nil, []auth.PolicyReason{auth.PolicyCommon, auth.PolicyRepetitive}}, // "abcd" is on the list
		{"aaaa1111", nil, []auth.PolicyReason{auth.PolicyCommon, auth.PolicyRepetitive}},
		{"qqqq7777", nil, []auth.PolicyReason{auth.PolicyRepetitive}},
		{"3456defg", nil, []auth.PolicyReason{auth.PolicyRepetitive}},
		{"xkcdxkcdxkcd", nil, []auth.PolicyReason{auth.PolicyRepetitive}},
		{"alice-loves-cheese", []string{"alice.smith@example.com"}, []auth.PolicyReason{auth.PolicyContext}},
		{"my-rampart-secret", nil, []auth.PolicyReason{auth.PolicyContext}},
		{"RampartBank", nil, []auth.PolicyReason{auth.PolicyContext}},
		{"bob-is-not-here-1", []string{"alice"}, nil},
		{"with\x00control-char", nil, []auth.PolicyReason{auth.PolicyInvalid}},
		{"bad-utf8-\xff\xfe-here", nil, []auth.PolicyReason{auth.PolicyInvalid}},
		{"ab\x01", nil, []auth.PolicyReason{auth.PolicyInvalid, auth.PolicyTooShort}},
		// NFKC: the fullwidth form of "password" is "password".
		{"ｐａｓｓｗｏｒｄ", nil, []auth.PolicyReason{auth.PolicyCommon}},
	}
	for _, tt := range tests {
		err := p.Check(ctx, tt.password, tt.context...)
		if tt.want == nil {
			if err != nil {
				t.Errorf("Check(%q) = %v, want nil", tt.password, err)
			}
			continue
		}
		var perr *auth.PolicyError
		if !errors.As(err, &perr) || !errors.Is(err, auth.ErrWeakPassword) {
			t.Errorf("Check(%q) = %v, want a *PolicyError matching ErrWeakPassword", tt.password, err)
			continue
		}
		if !slices.Equal(perr.Reasons, tt.want) {
			t.Errorf("Check(%q) reasons = %v, want %v", tt.password, perr.Reasons, tt.want)
		}
		if msgs := perr.Messages(); len(msgs) != len(tt.want) || msgs[0] == "" {
			t.Errorf("Check(%q) messages = %q", tt.password, msgs)
		}
	}
}

func TestPasswordPolicyLengthsAndMessages(t *testing.T) {
	ctx := context.Background()
	p := &auth.PasswordPolicy{MinLength: 15, MaxLength: 128}
	err := p.Check(ctx, "glacier-otter-9")
	if err != nil {
		t.Errorf("Check(15 code points) = %v, want nil", err)
	}
	var perr *auth.PolicyError
	if err := p.Check(ctx, "glacier-otter"); !errors.As(err, &perr) {
		t.Fatalf("Check(13 code points) = %v, want *PolicyError", err)
	}
	if got, want := perr.Messages(), []string{"Use at least 15 characters."}; !slices.Equal(got, want) {
		t.Errorf("Messages() = %q, want %q", got, want)
	}
	if got, want := perr.Error(), "auth: password rejected: too_short"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	// A huge input is refused as too long without normalizing it.
	if err := p.Check(ctx, strings.Repeat("ab", 1<<20)); !errors.As(err, &perr) || !slices.Equal(perr.Reasons, []auth.PolicyReason{auth.PolicyTooLong}) {
		t.Errorf("Check(2 MiB) = %v, want too_long", err)
	}
	for _, bad := range []auth.PasswordPolicy{{MinLength: 6}, {MaxLength: 32}, {MinLength: 100, MaxLength: 80}} {
		err := bad.Check(ctx, "whatever-password")
		if err == nil || errors.Is(err, auth.ErrWeakPassword) {
			t.Errorf("%+v.Check = %v, want a configuration error", bad, err)
		}
	}
}

func TestPasswordPolicyBreachChecker(t *testing.T) {
	ctx := context.Background()
	var asked []string
	breached := auth.BreachCheckerFunc(func(_ context.Context, pw string) (bool, error) {
		asked = append(asked, pw)
		return pw == "glacier-otter-rhubarb", nil
	})
	p := &auth.PasswordPolicy{BreachCheckers: []auth.BreachChecker{breached}}
	var perr *auth.PolicyError
	if err := p.Check(ctx, "glacier-otter-rhubarb"); !errors.As(err, &perr) || !slices.Equal(perr.Reasons, []auth.PolicyReason{auth.PolicyBreached}) {
		t.Errorf("Check(breached) = %v, want breached", err)
	}
	if err := p.Check(ctx, "glacier-otter-rhubarb-2"); err != nil {
		t.Errorf("Check(not breached) = %v, want nil", err)
	}
	// A password already rejected locally is not sent to the checker.
	if err := p.Check(ctx, "password"); !errors.Is(err, auth.ErrWeakPassword) {
		t.Errorf("Check(password) = %v", err)
	}
	if slices.Contains(asked, "password") {
		t.Error("a locally rejected password was sent to the BreachChecker")
	}
	// The checker sees the normalized password.
	_ = p.Check(ctx, "ｇｌａｃｉｅｒ-otter-rhubarb")
	if asked[len(asked)-1] != "glacier-otter-rhubarb" {
		t.Errorf("BreachChecker got %q, want the NFKC form", asked[len(asked)-1])
	}
	// A failing checker is an error, not a verdict.
	down := errors.New("service down")
	p.BreachCheckers = []auth.BreachChecker{auth.BreachCheckerFunc(func(context.Context, string) (bool, error) { return false, down })}
	if err := p.Check(ctx, "glacier-otter-rhubarb"); !errors.Is(err, down) || errors.Is(err, auth.ErrWeakPassword) {
		t.Errorf("Check with a failing checker = %v, want it wrapped", err)
	}
}
