package sanitize_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/rampart-go/rampart/sanitize"
)

// signup is a request body. Its rules live next to it, built once.
type signup struct {
	Username string `json:"username"`
	Email    string `json:"email"`
	Website  string `json:"website"`
	Bio      string `json:"bio"`
}

var (
	usernameRule = sanitize.Rule{
		Required:   true,
		MinLen:     3,
		MaxLen:     32,
		Allow:      sanitize.Letters | sanitize.Marks | sanitize.Digits,
		Extra:      "_-.",
		Identifier: true, // "Ａdmin" and "admin" are the same user name
	}
	bioRule = sanitize.Rule{MaxLen: 500, Multiline: true, NFKC: true}
)

// validate checks and normalizes every field, collecting all failures.
func (s *signup) validate() error {
	var errs sanitize.Errors
	s.Username = errs.Check("username", s.Username, usernameRule)
	email, err := sanitize.Email(s.Email)
	errs.Add("email", err)
	s.Email = email
	if s.Website != "" {
		site, err := sanitize.URLRule{}.Check(s.Website)
		errs.Add("website", err)
		s.Website = site
	}
	s.Bio = errs.Check("bio", s.Bio, bioRule)
	return errs.Err()
}

func signupHandler(w http.ResponseWriter, r *http.Request) {
	var req signup
	if err := sanitize.DecodeJSON(w, r, &req); err != nil {
		sanitize.WriteError(w, err) // 400, 413 or 415
		return
	}
	if err := req.validate(); err != nil {
		sanitize.WriteError(w, err) // 400 with one entry per invalid field
		return
	}
	w.WriteHeader(http.StatusCreated)
	fmt.Fprintf(w, "welcome, %s <%s>\n", req.Username, req.Email)
}

// A handler that decodes a JSON body, validates each field and answers 400 with the field
// errors, exercised here with httptest.
func Example() {
	post := func(contentType, body string) {
		r := httptest.NewRequest(http.MethodPost, "/signup", strings.NewReader(body))
		r.Header.Set("Content-Type", contentType)
		w := httptest.NewRecorder()
		signupHandler(w, r)
		fmt.Print(w.Code, " ", w.Body.String())
	}
	post("application/json", `{"username":"Ａlice","email":"alice@Example.COM"}`)
	post("application/json", `{"username":"a\u202eb","email":"Alice <alice@example.com>","website":"javascript:alert(1)"}`)
	post("application/json", `{"username":"bob","email":"bob@example.com","USERNAME":"admin"}`)
	post("application/json", `{"username":"bob","email":"bob@example.com","is_admin":true}`)
	post("text/plain", `{"username":"bob"}`)
	// Output:
	// 201 welcome, alice <alice@example.com>
	// 400 {"errors":[{"field":"username","message":"must not contain bidirectional control characters"},{"field":"email","message":"must be a bare address such as name@example.com, without a display name"},{"field":"website","message":"uses a scheme that is not allowed"}]}
	// 400 {"errors":[{"field":"USERNAME","message":"duplicate key \"USERNAME\" (keys are compared ignoring case)"}]}
	// 400 {"errors":[{"field":"is_admin","message":"unknown field \"is_admin\""}]}
	// 415 {"errors":[{"message":"Content-Type must be application/json"}]}
}
