package salesforce

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const jwtBearerGrant = "urn:ietf:params:oauth:grant-type:jwt-bearer"

// assertionTTL is the lifetime of a JWT bearer assertion; Salesforce
// accepts at most three minutes.
const assertionTTL = 3 * time.Minute

// loadKey reads the private key of the JWT bearer grant, if configured.
// Errors never include the key material.
func loadKey(cfg Config) (*rsa.PrivateKey, error) {
	var pemData []byte
	switch {
	case cfg.PrivateKeyFile != "" && cfg.PrivateKeyEnv != "":
		return nil, fmt.Errorf("%w: set PrivateKeyFile or PrivateKeyEnv, not both", ErrConfig)
	case cfg.PrivateKeyFile != "":
		b, err := os.ReadFile(cfg.PrivateKeyFile)
		if err != nil {
			return nil, fmt.Errorf("%w: read private key file: %v", ErrConfig, err)
		}
		pemData = b
	case cfg.PrivateKeyEnv != "":
		v, ok := os.LookupEnv(cfg.PrivateKeyEnv)
		if !ok || v == "" {
			return nil, fmt.Errorf("%w: environment variable %s holds no private key", ErrConfig, cfg.PrivateKeyEnv)
		}
		pemData = []byte(v)
	default:
		return nil, nil
	}
	return parseKey(pemData)
}

func parseKey(pemData []byte) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode(pemData)
	if block == nil {
		return nil, fmt.Errorf("%w: private key is not PEM", ErrConfig)
	}
	if k, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%w: private key is neither PKCS#1 nor PKCS#8 RSA", ErrConfig)
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%w: private key is not an RSA key", ErrConfig)
	}
	return rk, nil
}

// assertion signs a fresh JWT bearer assertion.
func (c *Client) assertion() (string, error) {
	claims := jwt.RegisteredClaims{Issuer: c.cfg.ClientID, Subject: c.cfg.Username,
		Audience: jwt.ClaimStrings{c.cfg.Audience}, ExpiresAt: jwt.NewNumericDate(time.Now().Add(assertionTTL))}
	signed, err := jwt.NewWithClaims(jwt.SigningMethodRS256, claims).SignedString(c.key)
	if err != nil {
		return "", fmt.Errorf("%w: sign JWT assertion: %v", ErrAuth, err)
	}
	return signed, nil
}
