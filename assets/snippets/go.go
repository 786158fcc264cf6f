// Verify a Dataspike webhook (X-Webhook-Signature: t=<unix>,v1=<hex HMAC-SHA256>).
// Go's standard library only. Pass the RAW request body (io.ReadAll(r.Body)), before any JSON
// decoding: re-encoded JSON has other bytes, and its signature will not match.
package dataspike

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
)

// Tolerance: Dataspike does not document one; 300 s is the industry default.
const Tolerance = 300

// Verify returns the index of the secret that matched (0: the current one; 1: the old one
// while rotating), or the reason the delivery must be rejected (answer 400).
func Verify(rawBody []byte, header string, secrets []string, now int64, tolerance int64) (int, error) {
	var t int64 = -1
	var sigs []string
	for _, item := range strings.Split(header, ",") {
		name, value, found := strings.Cut(item, "=")
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		if !found || value == "" {
			return -1, errors.New("malformed signature header")
		}
		switch name {
		case "t":
			if t >= 0 {
				return -1, errors.New("duplicate t")
			}
			if len(value) > 10 || strings.Trim(value, "0123456789") != "" {
				return -1, errors.New("t is not a Unix time")
			}
			n, err := strconv.ParseInt(value, 10, 64)
			if err != nil {
				return -1, errors.New("t is not a Unix time")
			}
			t = n
		case "v1":
			sigs = append(sigs, value)
		} // Other schemes (v0, ...) are ignored, never used instead.
	}
	if t < 0 || len(sigs) == 0 {
		return -1, errors.New("signature header needs t and v1")
	}
	if now-t > tolerance || t-now > tolerance {
		return -1, errors.New("timestamp outside the tolerance (replayed or clock skew)")
	}
	signed := append([]byte(strconv.FormatInt(t, 10)+"."), rawBody...)
	for i, secret := range secrets {
		key, err := hex.DecodeString(strings.TrimPrefix(secret, "whsec_"))
		if err != nil {
			return -1, errors.New("secret is not whsec_ and hex")
		}
		mac := hmac.New(sha256.New, key)
		mac.Write(signed)
		expected := mac.Sum(nil)
		for _, sig := range sigs {
			got, err := hex.DecodeString(sig)
			// Whole 32-byte digests, compared in constant time: an empty or short v1 never passes.
			if err == nil && len(got) == 32 && hmac.Equal(got, expected) {
				return i, nil
			}
		}
	}
	return -1, errors.New("no secret matches the signature")
}
