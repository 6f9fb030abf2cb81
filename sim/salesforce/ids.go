package salesforce

import (
	"crypto/rand"
	"encoding/base64"
	"strings"
)

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// idSuffix computes the 3-character case-safe suffix Salesforce appends to a
// 15-character id: one character per 5-character chunk, whose bits mark the
// upper-case letters of the chunk.
func idSuffix(id15 string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
	var out [3]byte
	for chunk := 0; chunk < 3; chunk++ {
		v := 0
		for i := 0; i < 5; i++ {
			c := id15[chunk*5+i]
			if c >= 'A' && c <= 'Z' {
				v |= 1 << i
			}
		}
		out[chunk] = alphabet[v]
	}
	return string(out[:])
}

// makeID builds an 18-character id from a key prefix and a counter.
func makeID(prefix string, n uint64) string {
	var body [10]byte
	for i := len(body) - 1; i >= 0; i-- {
		body[i] = base62[n%62]
		n /= 62
	}
	id15 := prefix + "5g" + string(body[:])
	return id15 + idSuffix(id15)
}

// normalizeID turns a 15-character id into its 18-character form; other
// values come back unchanged.
func normalizeID(id string) string {
	if len(id) == 15 && isAlnum(id) {
		return id + idSuffix(id)
	}
	return id
}

// validIDShape reports whether s looks like a Salesforce id.
func validIDShape(s string) bool {
	if len(s) != 15 && len(s) != 18 {
		return false
	}
	if !isAlnum(s) {
		return false
	}
	if len(s) == 18 {
		return strings.EqualFold(idSuffix(s[:15]), s[15:]) || s[15:] == idSuffix(s[:15])
	}
	return true
}

func isAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// randomToken returns n random bytes, URL-safe base64 encoded.
func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return base64.RawURLEncoding.EncodeToString(b)
}
