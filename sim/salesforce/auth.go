package salesforce

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
)

// Fixed org and user ids reported in the identity URL.
const (
	orgID  = "00D5g00000SIMORGEAQ"
	userID = "0055g00000SIMUSRAAQ"
)

type oauthError struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

func secureEqual(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// handleToken implements POST /services/oauth2/token for the
// client_credentials, password and refresh_token grants.
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		methodNotAllowed(w, r, "POST")
		return
	}
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, oauthError{"invalid_request", "malformed form body"})
		return
	}
	clientID, secret := r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	if u, p, ok := r.BasicAuth(); ok && clientID == "" {
		clientID, secret = u, p
	}
	grant := r.PostForm.Get("grant_type")
	if grant == jwtBearerGrant {
		user, errBody := s.verifyAssertion(r, r.PostForm.Get("assertion"))
		if errBody != nil {
			writeJSON(w, http.StatusBadRequest, errBody)
			return
		}
		s.issueToken(w, r, grant, user, false)
		return
	}
	switch grant {
	case "client_credentials", "password", "refresh_token":
	case "":
		writeJSON(w, http.StatusBadRequest, oauthError{"invalid_request", "grant type not specified"})
		return
	default:
		writeJSON(w, http.StatusBadRequest, oauthError{"unsupported_grant_type", "grant type not supported"})
		return
	}
	if !secureEqual(clientID, s.opts.ClientID) {
		writeJSON(w, http.StatusBadRequest, oauthError{"invalid_client_id", "client identifier invalid"})
		return
	}
	if !secureEqual(secret, s.opts.ClientSecret) {
		writeJSON(w, http.StatusBadRequest, oauthError{"invalid_client", "invalid client credentials"})
		return
	}
	var user string
	withRefresh := false
	switch grant {
	case "client_credentials":
		user = "client:" + clientID
	case "password":
		name, pw := r.PostForm.Get("username"), r.PostForm.Get("password")
		want, ok := s.opts.Users[name]
		if !ok || !secureEqual(pw, want) {
			writeJSON(w, http.StatusBadRequest, oauthError{"invalid_grant", "authentication failure"})
			return
		}
		user, withRefresh = "user:"+name, true
	case "refresh_token":
		s.authMu.Lock()
		u, ok := s.refresh[r.PostForm.Get("refresh_token")]
		s.authMu.Unlock()
		if !ok {
			writeJSON(w, http.StatusBadRequest, oauthError{"invalid_grant", "expired access/refresh token"})
			return
		}
		user = u
	}
	s.issueToken(w, r, grant, user, withRefresh)
}

// issueToken starts a session for user and answers the token response.
func (s *Server) issueToken(w http.ResponseWriter, r *http.Request, grant, user string, withRefresh bool) {
	token := s.startSession(user)
	now := s.now()
	var refresh string
	if withRefresh {
		refresh = "5Aep" + randomToken(48)
		s.authMu.Lock()
		s.refresh[refresh] = user
		s.authMu.Unlock()
	}

	instance := instanceURL(r)
	issued := strconv.FormatInt(now.UnixMilli(), 10)
	id := instance + "/id/" + orgID + "/" + userID
	mac := hmac.New(sha256.New, []byte(s.opts.ClientSecret))
	mac.Write([]byte(id + issued))
	out := map[string]string{
		"access_token": token, "instance_url": instance, "id": id, "token_type": "Bearer",
		"issued_at": issued, "signature": base64.StdEncoding.EncodeToString(mac.Sum(nil)), "scope": "api",
	}
	if refresh != "" {
		out["refresh_token"] = refresh
		out["scope"] = "api refresh_token"
	}
	s.log.Info("salesforce sim: token issued", "grant_type", grant, "user", user)
	writeJSON(w, http.StatusOK, out)
}

// startSession issues an access token for user, dropping expired sessions.
func (s *Server) startSession(user string) string {
	token := orgID[:15] + "!" + randomToken(48)
	now := s.now()
	s.authMu.Lock()
	defer s.authMu.Unlock()
	for k, sess := range s.sessions {
		if !now.Before(sess.expires) {
			delete(s.sessions, k)
		}
	}
	s.sessions[token] = session{user: user, expires: now.Add(s.opts.TokenTTL)}
	return token
}

// instanceURL is the simulator's own base URL as the client reached it.
func instanceURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// authenticate checks the Bearer token and returns the session's user.
func (s *Server) authenticate(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	var tok string
	switch {
	case len(h) > 7 && strings.EqualFold(h[:7], "Bearer "):
		tok = strings.TrimSpace(h[7:])
	case len(h) > 6 && strings.EqualFold(h[:6], "OAuth "):
		tok = strings.TrimSpace(h[6:])
	default:
		return "", false
	}
	s.authMu.Lock()
	defer s.authMu.Unlock()
	sess, ok := s.sessions[tok]
	if !ok {
		return "", false
	}
	if !s.now().Before(sess.expires) {
		delete(s.sessions, tok)
		return "", false
	}
	return sess.user, true
}
