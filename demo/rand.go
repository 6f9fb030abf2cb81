package demo

import (
	"crypto/rand"
	"encoding/hex"
)

// randomHex makes throwaway simulator credentials for one demo run.
func randomHex() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
