package auth

import (
	"encoding/hex"
	"errors"
)

// TokenID is the random 128-bit identifier of a token. [Keyring.Sign] draws a new one for every
// token unless the caller supplies one; [Sessions] keep it for the life of a session, so revoking
// an ID ends the session however often it was renewed. A TokenID is not a secret: it can be
// logged and used as the key of a denylist entry.
type TokenID [16]byte

// String returns the ID as 32 lower-case hexadecimal digits.
func (id TokenID) String() string { return hex.EncodeToString(id[:]) }

// IsZero reports whether id is the zero ID, which [Keyring.Sign] replaces with a random one.
func (id TokenID) IsZero() bool { return id == TokenID{} }

// MarshalText implements [encoding.TextMarshaler] with the form of [TokenID.String].
func (id TokenID) MarshalText() ([]byte, error) {
	b := make([]byte, hex.EncodedLen(len(id)))
	hex.Encode(b, id[:])
	return b, nil
}

// UnmarshalText implements [encoding.TextUnmarshaler]; it accepts exactly the 32 lower-case
// hexadecimal digits that [TokenID.String] writes.
func (id *TokenID) UnmarshalText(b []byte) error {
	v, err := ParseTokenID(string(b))
	if err != nil {
		return err
	}
	*id = v
	return nil
}

// ErrInvalidTokenID is returned by [ParseTokenID] for anything but 32 lower-case hex digits.
var ErrInvalidTokenID = errors.New("auth: invalid token ID")

// ParseTokenID parses the form written by [TokenID.String], for example to revoke a session
// whose ID an operator copied from an audit log, with [Sessions.RevokeID].
func ParseTokenID(s string) (TokenID, error) {
	var id TokenID
	if len(s) != 2*len(id) {
		return TokenID{}, ErrInvalidTokenID
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return TokenID{}, ErrInvalidTokenID
		}
	}
	if _, err := hex.Decode(id[:], []byte(s)); err != nil {
		return TokenID{}, ErrInvalidTokenID
	}
	return id, nil
}
