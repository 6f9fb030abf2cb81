package salesforce

import (
	"errors"
	"net/http"
	"strings"

	"github.com/golang-jwt/jwt/v5"
)

const jwtBearerGrant = "urn:ietf:params:oauth:grant-type:jwt-bearer"

// Audiences Salesforce accepts besides the simulator's own address.
var jwtAudiences = []string{"https://login.salesforce.com", "https://test.salesforce.com"}

// verifyAssertion checks a JWT bearer assertion: RS256 signed by the
// configured key, iss the connected app's client id, sub a known username,
// aud the login URL, exp in the future. It returns the session user or the
// OAuth error body.
func (s *Server) verifyAssertion(r *http.Request, assertion string) (string, *oauthError) {
	if s.opts.JWTPublicKey == nil {
		return "", &oauthError{"unsupported_grant_type", "grant type not supported"}
	}
	if assertion == "" {
		return "", &oauthError{"invalid_request", "assertion is required"}
	}
	var claims jwt.RegisteredClaims
	_, err := jwt.ParseWithClaims(assertion, &claims, func(*jwt.Token) (any, error) { return s.opts.JWTPublicKey, nil },
		jwt.WithValidMethods([]string{"RS256"}), jwt.WithTimeFunc(s.now), jwt.WithExpirationRequired())
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return "", &oauthError{"invalid_grant", "expired authorization code"}
	case err != nil:
		return "", &oauthError{"invalid_grant", "invalid assertion"}
	case !secureEqual(claims.Issuer, s.opts.ClientID):
		return "", &oauthError{"invalid_client_id", "client identifier invalid"}
	}
	audOK := false
	for _, a := range claims.Audience {
		a = strings.TrimRight(a, "/")
		audOK = audOK || a == instanceURL(r)
		for _, known := range jwtAudiences {
			audOK = audOK || a == known
		}
	}
	if !audOK {
		return "", &oauthError{"invalid_grant", "audience is invalid"}
	}
	if _, ok := s.opts.Users[claims.Subject]; !ok {
		return "", &oauthError{"invalid_grant", "user hasn't approved this consumer"}
	}
	return "user:" + claims.Subject, nil
}
