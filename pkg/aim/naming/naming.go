// Package naming reproduces the reference operator's deterministic child names (catalogue §3.1, §3.4):
// RFC1123 sanitizing of parts, a SHA-256 hash over JSON-encoded inputs, and longest-part truncation.
// Names are part of the wire contract: a different byte would orphan objects created by the reference.
package naming

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// DefaultHashLength and DefaultMaxLength are the reference defaults.
const (
	DefaultHashLength = 8
	DefaultMaxLength  = 63
)

type options struct {
	hashSource []any
	hashLength int
	maxLength  int
}

// Option tunes GenerateDerivedName.
type Option func(*options)

// WithHashSource sets the inputs of the hash suffix; without it the name has no hash.
func WithHashSource(inputs ...any) Option {
	return func(o *options) { o.hashSource = inputs }
}

// WithHashLength sets the number of hex characters of the hash suffix.
func WithHashLength(n int) Option { return func(o *options) { o.hashLength = n } }

// WithMaxLength sets the maximum length of the result.
func WithMaxLength(n int) Option { return func(o *options) { o.maxLength = n } }

// GenerateDerivedName builds `part1-…-partN[-hash]`, sanitizing each part and truncating the longest part
// until the name fits the maximum length.
func GenerateDerivedName(parts []string, opts ...Option) (string, error) {
	o := options{hashLength: DefaultHashLength, maxLength: DefaultMaxLength}
	for _, opt := range opts {
		opt(&o)
	}
	clean := make([]string, len(parts))
	for i, p := range parts {
		clean[i] = MakeRFC1123Compliant(p)
		if clean[i] == "" {
			clean[i] = "part"
		}
	}
	hash := ""
	if o.hashSource != nil {
		h, err := HashValues(o.hashLength, o.hashSource...)
		if err != nil {
			return "", err
		}
		hash = h
	}
	length := func() int {
		n := 0
		for _, p := range clean {
			n += len(p) + 1
		}
		if hash == "" {
			return n - 1
		}
		return n + len(hash)
	}
	for length() > o.maxLength {
		longest := 0
		for i, p := range clean {
			if len(p) > len(clean[longest]) {
				longest = i
			}
		}
		if len(clean[longest]) <= 1 {
			break
		}
		clean[longest] = strings.TrimRight(clean[longest][:len(clean[longest])-1], "-")
	}
	name := strings.Join(clean, "-")
	if hash != "" {
		name += "-" + hash
	}
	return name, nil
}

// MustGenerateDerivedName is GenerateDerivedName for inputs that cannot fail to encode (strings, numbers).
func MustGenerateDerivedName(parts []string, opts ...Option) string {
	n, err := GenerateDerivedName(parts, opts...)
	if err != nil {
		panic(err)
	}
	return n
}

// HashValues JSON-encodes each input (maps become sorted [k1,v1,…] arrays), joins the encodings with "|",
// and returns the first length hex characters of their SHA-256.
func HashValues(length int, inputs ...any) (string, error) {
	enc := make([]string, len(inputs))
	for i, in := range inputs {
		b, err := json.Marshal(normalize(in))
		if err != nil {
			return "", fmt.Errorf("hash input %d: %w", i, err)
		}
		enc[i] = string(b)
	}
	sum := sha256.Sum256([]byte(strings.Join(enc, "|")))
	h := hex.EncodeToString(sum[:])
	if length > 0 && length < len(h) {
		h = h[:length]
	}
	return h, nil
}

func normalize(v any) any {
	switch m := v.(type) {
	case map[string]string:
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		out := make([]any, 0, 2*len(m))
		for _, k := range keys {
			out = append(out, k, m[k])
		}
		return out
	case map[string]any:
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		out := make([]any, 0, 2*len(m))
		for _, k := range keys {
			out = append(out, k, normalize(m[k]))
		}
		return out
	}
	return v
}

// MakeRFC1123Compliant lower-cases, maps every character outside [a-z0-9-] to "-" one for one (no
// collapsing), trims "-" at both ends, and cuts to 63 characters.
func MakeRFC1123Compliant(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r == '-' {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	out := strings.Trim(b.String(), "-")
	if len(out) > DefaultMaxLength {
		out = strings.TrimRight(out[:DefaultMaxLength], "-")
	}
	return out
}

var labelInvalid = regexp.MustCompile(`[^a-z0-9._-]+`)

// SanitizeLabelValue lower-cases, replaces runs of characters outside [a-z0-9._-] with "_", trims "_.-"
// at both ends and cuts to 63 characters. An empty result is an error.
func SanitizeLabelValue(s string) (string, error) {
	out := labelInvalid.ReplaceAllString(strings.ToLower(s), "_")
	out = strings.Trim(out, "_.-")
	if len(out) > DefaultMaxLength {
		out = strings.Trim(out[:DefaultMaxLength], "_.-")
	}
	if out == "" {
		return "", fmt.Errorf("label value %q is empty after sanitization", s)
	}
	return out, nil
}

// LabelValue is SanitizeLabelValue with "" for values that sanitize to nothing (what label builders use).
func LabelValue(s string) string {
	v, err := SanitizeLabelValue(s)
	if err != nil {
		return ""
	}
	return v
}
