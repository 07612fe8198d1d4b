package main

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/logredact"
	"github.com/rampart-go/rampart/ratelimit"
	"github.com/rampart-go/rampart/sanitize"
)

// app holds the service's state and dependencies; its methods are the HTTP handlers.
type app struct {
	store    *store
	hasher   *auth.Hasher
	policy   *auth.PasswordPolicy
	sessions *auth.Sessions
	authn    *auth.Middleware
	cookie   auth.SessionCookie
	clientIP *ratelimit.ClientIP
	perUser  *ratelimit.Limiter // failed logins per user name
	perIP    *ratelimit.Limiter // failed logins per client IP
	signups  *ratelimit.Limiter // accounts created per client IP
	log      *slog.Logger
	now      func() time.Time

	// Logins in flight per client address (ClientIP key): at most maxLoginsInFlight at a time.
	// Entries are deleted when they drop to zero, so the map holds at most one entry per
	// request in flight.
	loginMu       sync.Mutex
	loginInFlight map[string]int
}

// maxLoginsInFlight caps the concurrent POST /api/login of one client address. The per-address
// failure limit is peeked before the (slow) password check and charged after it, so every
// attempt in flight at once passes the same peek: without this cap, one address could send
// hundreds of parallel guesses across many accounts before any failure was counted. With it,
// the per-address limit is exceeded by at most maxLoginsInFlight-1.
const maxLoginsInFlight = 2

// Input rules. User names are checked after NFKC, so a fullwidth "ａｌｉｃｅ" is "alice";
// the store then compares them ignoring case, so "Admin" cannot pose as "admin".
var (
	usernameRule = sanitize.Rule{Required: true, MinLen: 3, MaxLen: 50,
		Allow: sanitize.ASCIILetters | sanitize.ASCIIDigits, Extra: "_", NFKC: true}
	titleRule   = sanitize.Rule{Required: true, MaxLen: 100}
	contentRule = sanitize.Rule{Required: true, MaxLen: 1000, Multiline: true}

	// The title and content as stored (escaped or sanitized for HTML, then encoded as JSON)
	// may take at most these many bytes, which bounds an item's size in the store. Every
	// valid title fits (100 code points take at most 500 bytes: '"' becomes "&#34;"), and so
	// does plain content of four-byte characters or "<" (4000 bytes as "&lt;"); content whose
	// escaping or markup grows it past 4 KiB ("&" as "&amp;", links given rel="nofollow
	// noopener noreferrer") is refused with a field error (400).
	maxTitleBytes   = 512
	maxContentBytes = 4 << 10

	// Bodies are capped well above what valid input needs (1000 code points of content may
	// take 6 bytes each once JSON-escaped): anything larger is refused with 413 unread.
	credentialsJSON = sanitize.JSON{MaxBytes: 4 << 10}
	dataJSON        = sanitize.JSON{MaxBytes: 16 << 10}
)

const (
	roleUser  = "user"
	roleAdmin = "admin"
)

type credentials struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// register creates a user: POST /api/register {"username","password"}.
func (a *app) register(w http.ResponseWriter, r *http.Request) {
	var c credentials
	if err := credentialsJSON.Decode(w, r, &c); err != nil {
		writeDecodeError(w, err)
		return
	}
	var errs sanitize.Errors
	name := errs.Check("username", c.Username, usernameRule)
	if c.Password == "" {
		errs.Add("password", &sanitize.FieldError{Message: "is required", Err: sanitize.ErrRequired})
	} else if err := a.policy.Check(r.Context(), c.Password, name); err != nil {
		var pe *auth.PolicyError
		if !errors.As(err, &pe) {
			a.internalError(w, r, "password policy check failed", err)
			return
		}
		for _, m := range pe.Messages() {
			errs.Add("password", &sanitize.FieldError{Message: m, Err: auth.ErrWeakPassword})
		}
	}
	if err := errs.Err(); err != nil {
		writeFieldErrors(w, errs)
		return
	}
	// Each client address may create a few accounts per hour: accounts are cheap to make and
	// each has its own quotas. The attempt is charged before the name is looked up, so that an
	// address past its limit gets 429 for taken and free names alike: otherwise 409 would tell
	// it, at the full API rate, which accounts exist (login hides exactly that). An attempt on a
	// taken name is charged too, for the same reason.
	ipKey, err := a.clientIP.Key(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, "No valid client address")
		return
	}
	if d, err := a.signups.Allow(r.Context(), "register-ip:"+ipKey); err != nil || !d.Allowed {
		wait := int64(60)
		if err == nil {
			wait = d.RetryAfterSeconds()
		}
		a.log.WarnContext(r.Context(), "registration throttled", "event", "register_throttled", "client_ip", a.ip(r), "retry_after_s", wait)
		w.Header().Set("Retry-After", strconv.FormatInt(wait, 10))
		writeError(w, http.StatusTooManyRequests, "Too many accounts created from this address; try again later")
		return
	}
	if _, taken := a.store.user(name); taken { // cheap answer before the costly hash
		writeError(w, http.StatusConflict, "Username already exists")
		return
	}
	hash, err := a.hasher.Hash(r.Context(), c.Password)
	if err != nil {
		a.internalError(w, r, "password hashing failed", err)
		return
	}
	err = a.store.createUser(user{Name: name, Hash: hash, Role: roleUser, CreatedAt: a.now().UTC().Truncate(time.Second)})
	switch {
	case errors.Is(err, errUserExists):
		writeError(w, http.StatusConflict, "Username already exists")
		return
	case errors.Is(err, errStoreFull):
		writeError(w, http.StatusInsufficientStorage, "No more accounts can be created")
		return
	case err != nil:
		a.internalError(w, r, "storing the new user failed", err)
		return
	}
	a.log.InfoContext(r.Context(), "user registered", "event", "register", "user", name, "client_ip", a.ip(r))
	writeJSON(w, http.StatusCreated, map[string]string{"message": "User created successfully"})
}

// login checks a user name and password and starts a session: POST /api/login. The token is
// returned in the body, or, for ?cookie=1 and for form posts, set as an HttpOnly cookie only
// (the body then holds the message alone, so that no script can read the token).
//
// Every failure (unknown user, wrong password, malformed name) gets the same 401 after the same
// work: Hasher.Login verifies unknown users against a dummy hash. Failures are counted per user
// name and per client IP; past the limit, attempts are refused with 429 before any password is
// checked, and only failures count, so a user who types the password right is never throttled
// by their own successes.
func (a *app) login(w http.ResponseWriter, r *http.Request) {
	var c credentials
	useCookie := r.URL.Query().Get("cookie") == "1"
	if isForm(r) {
		r.Body = http.MaxBytesReader(w, r.Body, credentialsJSON.MaxBytes)
		if err := r.ParseForm(); err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				writeError(w, http.StatusRequestEntityTooLarge, "Request body too large")
			} else {
				writeError(w, http.StatusBadRequest, "Malformed form")
			}
			return
		}
		c.Username, c.Password = r.PostForm.Get("username"), r.PostForm.Get("password")
		useCookie = true
	} else if err := credentialsJSON.Decode(w, r, &c); err != nil {
		writeDecodeError(w, err)
		return
	}
	if c.Username == "" || c.Password == "" {
		writeError(w, http.StatusBadRequest, "Username and password are required")
		return
	}

	ctx := r.Context()
	name, nameErr := usernameRule.Check(c.Username)
	userThrottleKey := "login-user:" + userKey(name)
	if nameErr != nil {
		userThrottleKey = "login-user-invalid:" + userKey(c.Username) // can never succeed
	}
	ipKey, err := a.clientIP.Key(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, "No valid client address")
		return
	}
	ipThrottleKey := "login-ip:" + ipKey
	if !a.enterLogin(ipKey) {
		a.log.WarnContext(ctx, "login throttled", "event", "login_throttled", "reason", "in_flight",
			"client_ip", a.ip(r), "retry_after_s", 1)
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusTooManyRequests, "Too many login attempts in progress; try again later")
		return
	}
	defer a.leaveLogin(ipKey)
	if wait, ok := a.admit(ctx, userThrottleKey, ipThrottleKey); !ok {
		a.log.WarnContext(ctx, "login throttled", "event", "login_throttled", "client_ip", a.ip(r), "retry_after_s", wait)
		w.Header().Set("Retry-After", strconv.FormatInt(wait, 10))
		writeError(w, http.StatusTooManyRequests, "Too many failed login attempts; try again later")
		return
	}

	var stored string
	u, known := user{}, false
	if nameErr == nil {
		u, known = a.store.user(name)
		stored = u.Hash // "" for an unknown user: Login then spends the same time on a dummy hash
	}
	newHash, err := a.hasher.Login(ctx, c.Password, stored)
	if err != nil {
		// The account was charged before the check (admit); the address is charged for failures
		// only, so that many users behind one NAT can still log in.
		_, _ = a.perIP.Allow(ctx, ipThrottleKey)
		attrs := []any{"event", "login_failed", "client_ip", a.ip(r), "known_user", known}
		if known {
			// The name is logged only for existing accounts: a "user name" that matches no
			// account is often a password typed in the wrong field.
			attrs = append(attrs, "user", u.Name)
		}
		if !errors.Is(err, auth.ErrPasswordMismatch) && !errors.Is(err, auth.ErrPasswordTooLong) {
			attrs = append(attrs, "error", err.Error()) // a stored hash the hasher cannot use
		}
		a.log.WarnContext(ctx, "login failed", attrs...)
		writeError(w, http.StatusUnauthorized, "Invalid credentials")
		return
	}
	if newHash != "" {
		if err := a.store.setHash(u.Name, newHash); err != nil {
			a.log.ErrorContext(ctx, "storing the upgraded password hash failed", "user", u.Name, "error", err.Error())
		} else {
			a.log.InfoContext(ctx, "password hash upgraded", "event", "rehash", "user", u.Name)
		}
	}
	_ = a.perUser.Reset(ctx, userThrottleKey) // a success refunds the attempt and clears the account's failures (not the IP's)

	token, claims, err := a.sessions.Login(ctx, auth.Claims{Subject: userKey(u.Name), Roles: []string{u.Role}})
	if err != nil {
		a.internalError(w, r, "starting a session failed", err)
		return
	}
	if useCookie {
		if err := a.cookie.Set(w, token, claims.Expiry.Sub(a.now())); err != nil {
			a.internalError(w, r, "setting the session cookie failed", err)
			return
		}
	}
	// How the token was handed over: "cookie" or "body". (A key with "cookie" in its name
	// would be redacted whole by logredact.)
	delivery := "body"
	if useCookie {
		delivery = "cookie"
	}
	a.log.InfoContext(ctx, "login succeeded", "event", "login", "user", u.Name, "token_id", claims.ID.String(),
		"delivery", delivery, "client_ip", a.ip(r))
	if useCookie {
		// The cookie is HttpOnly so that scripts cannot read the token; putting it in the body
		// too would hand it to them anyway.
		writeJSON(w, http.StatusOK, map[string]string{"message": "Login successful"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"message": "Login successful", "token": token})
}

// admit reports whether a login attempt may proceed, and otherwise how many seconds to wait. It
// peeks at the per-address limiter, then charges the attempt to the account before the
// password is checked: with "peek both, charge failures afterwards", every attempt already in
// flight passed the peek, so parallel guesses all got checked (40 of 40 in the review's test).
// A success refunds it (login resets the account's counter).
func (a *app) admit(ctx context.Context, userKey, ipKey string) (retryAfter int64, ok bool) {
	di, err := a.perIP.Peek(ctx, ipKey)
	if err != nil {
		return 60, false // fail closed: a login limiter that cannot decide refuses
	}
	if !di.Allowed {
		return di.RetryAfterSeconds(), false
	}
	du, err := a.perUser.Allow(ctx, userKey)
	if err != nil {
		return 60, false
	}
	if !du.Allowed {
		return du.RetryAfterSeconds(), false
	}
	return 0, true
}

// enterLogin takes one of the login slots of the client address key, or reports false if
// all maxLoginsInFlight are taken. A true result must be paired with leaveLogin.
func (a *app) enterLogin(key string) bool {
	a.loginMu.Lock()
	defer a.loginMu.Unlock()
	if a.loginInFlight[key] >= maxLoginsInFlight {
		return false
	}
	if a.loginInFlight == nil {
		a.loginInFlight = map[string]int{}
	}
	a.loginInFlight[key]++
	return true
}

// leaveLogin gives back the login slot that enterLogin took.
func (a *app) leaveLogin(key string) {
	a.loginMu.Lock()
	defer a.loginMu.Unlock()
	if a.loginInFlight[key] <= 1 {
		delete(a.loginInFlight, key)
		return
	}
	a.loginInFlight[key]--
}

// profile answers GET /api/profile for the authenticated user.
func (a *app) profile(w http.ResponseWriter, r *http.Request) {
	u, ok := a.currentUser(w, r)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{
		"username": u.Name,
		"role":     u.Role,
		"message":  "Hello, " + u.Name + "!",
	})
}

// adminUsers answers GET /api/admin/users, for admins only (see routes).
func (a *app) adminUsers(w http.ResponseWriter, _ *http.Request) {
	type entry struct {
		Username  string    `json:"username"`
		Role      string    `json:"role"`
		CreatedAt time.Time `json:"created_at"`
	}
	users := a.store.users()
	out := make([]entry, len(users))
	for i, u := range users {
		out[i] = entry{Username: u.Name, Role: u.Role, CreatedAt: u.CreatedAt}
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": out})
}

// createData stores a submission: POST /api/data {"title","content"}. Both are validated
// (lengths in code points, no control or bidi characters) and made safe to display in HTML:
// the title is plain text, so it is escaped; the content is rich text, so it is sanitized
// (formatting kept, scripts, event handlers and javascript: URLs removed). The results may take
// at most maxTitleBytes and maxContentBytes in the store.
func (a *app) createData(w http.ResponseWriter, r *http.Request) {
	u, ok := a.currentUser(w, r)
	if !ok {
		return
	}
	var in struct {
		Title   string `json:"title"`
		Content string `json:"content"`
	}
	if err := dataJSON.Decode(w, r, &in); err != nil {
		writeDecodeError(w, err)
		return
	}
	var errs sanitize.Errors
	title := sanitize.EscapeHTML(errs.Check("title", in.Title, titleRule))
	content := sanitize.HTML(errs.Check("content", in.Content, contentRule))
	if storedLen(title) > maxTitleBytes {
		errs.Add("title", &sanitize.FieldError{Message: "must take at most " + strconv.Itoa(maxTitleBytes) +
			" bytes once escaped for HTML", Err: sanitize.ErrTooLong})
	}
	if storedLen(content) > maxContentBytes {
		errs.Add("content", &sanitize.FieldError{Message: "must take at most " + strconv.Itoa(maxContentBytes) +
			" bytes once sanitized for HTML", Err: sanitize.ErrTooLong})
	}
	if err := errs.Err(); err != nil {
		writeFieldErrors(w, errs)
		return
	}
	it, err := a.store.addItem(item{
		Title:     title,
		Content:   content,
		Author:    u.Name,
		CreatedAt: a.now().UTC().Truncate(time.Second),
	})
	switch {
	case errors.Is(err, errStoreFull):
		writeError(w, http.StatusInsufficientStorage, "Storage is full")
		return
	case errors.Is(err, errQuota):
		writeError(w, http.StatusInsufficientStorage, "Item quota reached: at most "+strconv.Itoa(maxItemsPerUser)+
			" items or "+strconv.Itoa(maxItemBytesPerUser>>10)+" KiB per user")
		return
	case err != nil:
		a.internalError(w, r, "storing the item failed", err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"message": "Data processed successfully", "data": it})
}

// logout ends the caller's session (this token, and its renewals): POST /api/logout.
//
// The denylist is bounded (maxRevoked entries in all, maxRevokedPerUser per user): when either
// cap is reached, the logout becomes a logout everywhere for this user, which takes no entry,
// rather than failing and leaving the token valid. The cookie is cleared whatever happens.
func (a *app) logout(w http.ResponseWriter, r *http.Request) {
	_ = a.cookie.Clear(w)
	ctx := r.Context()
	c, _ := auth.ClaimsFromContext(ctx)
	err := a.sessions.Logout(ctx, c)
	if errors.Is(err, auth.ErrRevocationStoreFull) {
		a.log.WarnContext(ctx, "revocation list full; logging the user out everywhere", "event", "logout_all",
			"reason", "revocations_full", "user", c.Subject, "token_id", c.ID.String())
		err = a.sessions.LogoutEverywhere(ctx, c.Subject)
	} else if err == nil {
		a.log.InfoContext(ctx, "session revoked", "event", "logout", "user", c.Subject, "token_id", c.ID.String())
	}
	if err != nil {
		a.internalError(w, r, "revoking the session failed", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// logoutAll ends every session of the caller: POST /api/logout-all.
func (a *app) logoutAll(w http.ResponseWriter, r *http.Request) {
	_ = a.cookie.Clear(w)
	c, _ := auth.ClaimsFromContext(r.Context())
	if err := a.sessions.LogoutEverywhere(r.Context(), c.Subject); err != nil {
		a.internalError(w, r, "revoking the sessions failed", err)
		return
	}
	a.log.InfoContext(r.Context(), "all sessions revoked", "event", "logout_all", "user", c.Subject)
	w.WriteHeader(http.StatusNoContent)
}

// currentUser returns the user of the authenticated request, or answers 401 if the account
// no longer exists.
func (a *app) currentUser(w http.ResponseWriter, r *http.Request) (user, bool) {
	c, ok := auth.ClaimsFromContext(r.Context())
	if ok {
		if u, ok := a.store.user(c.Subject); ok {
			return u, true
		}
	}
	writeError(w, http.StatusUnauthorized, "Authentication required")
	return user{}, false
}

// accessLogConfig returns the access log's settings. Without trusted proxies the client is the
// TCP peer, which the access log reads from RemoteAddr by default, without parsing it again
// after the rate limiter; behind trusted proxies the client comes from the forwarding headers,
// as the rate limiter sees it.
func (a *app) accessLogConfig() logredact.AccessLogConfig {
	if len(a.clientIP.TrustedProxies) == 0 && a.clientIP.TrustedHops == 0 {
		return logredact.AccessLogConfig{}
	}
	return logredact.AccessLogConfig{ClientIP: a.ip}
}

// ip returns the client address for logs, as netip.Addr.String formats it. For a request
// straight from the client that is usually the host part of RemoteAddr, which is then returned
// without allocating (the access log calls this on every request).
func (a *app) ip(r *http.Request) string {
	ip, err := a.clientIP.Addr(r)
	if err != nil {
		return ""
	}
	var buf [64]byte
	b := ip.AppendTo(buf[:0])
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil && host == string(b) {
		return host
	}
	return string(b)
}

// internalError logs err and answers 500 without any detail.
func (a *app) internalError(w http.ResponseWriter, r *http.Request, msg string, err error) {
	a.log.ErrorContext(r.Context(), msg, "path", r.URL.Path, "error", err.Error())
	writeError(w, http.StatusInternalServerError, "Internal server error")
}

// isForm reports whether r carries an HTML form post.
func isForm(r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == "application/x-www-form-urlencoded"
}

// writeJSON writes v as JSON with status. API responses are never cached: they carry tokens
// and personal data.
func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeError writes {"error": msg} with status.
func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

// writeFieldErrors writes 400 with {"error":"Invalid input","errors":[{"field","message"}]}.
func writeFieldErrors(w http.ResponseWriter, errs sanitize.Errors) {
	writeJSON(w, http.StatusBadRequest, map[string]any{"error": "Invalid input", "errors": []*sanitize.FieldError(errs)})
}

// writeDecodeError answers a body that sanitize.JSON refused: 400, 413 or 415 with a message
// that is safe to show (it never echoes the input).
func writeDecodeError(w http.ResponseWriter, err error) {
	var re *sanitize.RequestError
	if !errors.As(err, &re) {
		writeError(w, http.StatusBadRequest, "Malformed request body")
		return
	}
	if re.Field != "" {
		writeJSON(w, re.Status, map[string]any{"error": "Invalid input",
			"errors": []*sanitize.FieldError{{Field: re.Field, Message: re.Message}}})
		return
	}
	writeError(w, re.Status, re.Message)
}
