package registry

import (
	"fmt"
	"strconv"
	"strings"
)

// Version is a semantic version read from an image tag. Tags are parsed tolerantly: a leading "v", and
// missing minor/patch numbers ("1", "1.2") are accepted; build metadata ("+...") is ignored.
type Version struct {
	Major, Minor, Patch uint64
	Pre                 []string
}

// ParseVersion parses a tag as a version; ok is false for tags such as "latest" or "1.2.3.4".
func ParseVersion(s string) (v Version, ok bool) {
	s = strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(s), "v"), "V")
	if i := strings.IndexByte(s, '+'); i >= 0 {
		s = s[:i]
	}
	core, pre, hasPre := strings.Cut(s, "-")
	parts := strings.Split(core, ".")
	if len(parts) == 0 || len(parts) > 3 {
		return Version{}, false
	}
	nums := [3]uint64{}
	for i, p := range parts {
		n, err := parseNumber(p)
		if err != nil {
			return Version{}, false
		}
		nums[i] = n
	}
	v = Version{Major: nums[0], Minor: nums[1], Patch: nums[2]}
	if hasPre {
		if pre == "" {
			return Version{}, false
		}
		v.Pre = strings.Split(pre, ".")
		for _, id := range v.Pre {
			if id == "" || strings.Trim(id, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-") != "" {
				return Version{}, false
			}
		}
	}
	return v, true
}

func parseNumber(p string) (uint64, error) {
	if p == "" || strings.Trim(p, "0123456789") != "" {
		return 0, fmt.Errorf("not a number: %q", p)
	}
	return strconv.ParseUint(p, 10, 64)
}

// String renders the version without a "v" prefix.
func (v Version) String() string {
	s := fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch)
	if len(v.Pre) > 0 {
		s += "-" + strings.Join(v.Pre, ".")
	}
	return s
}

// Compare orders versions by semver precedence: -1, 0 or 1. A pre-release sorts before its release.
func (v Version) Compare(o Version) int {
	for _, d := range [][2]uint64{{v.Major, o.Major}, {v.Minor, o.Minor}, {v.Patch, o.Patch}} {
		if d[0] != d[1] {
			if d[0] < d[1] {
				return -1
			}
			return 1
		}
	}
	switch {
	case len(v.Pre) == 0 && len(o.Pre) == 0:
		return 0
	case len(v.Pre) == 0:
		return 1
	case len(o.Pre) == 0:
		return -1
	}
	for i := 0; i < len(v.Pre) && i < len(o.Pre); i++ {
		if c := comparePre(v.Pre[i], o.Pre[i]); c != 0 {
			return c
		}
	}
	return cmpInt(len(v.Pre), len(o.Pre))
}

// comparePre: numeric identifiers compare numerically and sort before alphanumeric ones.
func comparePre(a, b string) int {
	an, aErr := parseNumber(a)
	bn, bErr := parseNumber(b)
	switch {
	case aErr == nil && bErr == nil:
		return cmpUint(an, bn)
	case aErr == nil:
		return -1
	case bErr == nil:
		return 1
	}
	return strings.Compare(a, b)
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpInt(a, b int) int { return cmpUint(uint64(a), uint64(b)) }

// Constraint is a version range: alternatives separated by "||", each an AND of comparators separated by
// commas or spaces. Comparators: "=", "==", "!=", ">", ">=", "<", "<=", "~" (patch updates: ~1.2.3 is
// >=1.2.3 <1.3.0, ~1 is >=1.0.0 <2.0.0), "^" (compatible updates: ^1.2.3 is >=1.2.3 <2.0.0, ^0.2.3 is
// >=0.2.3 <0.3.0), and x-ranges ("1.2.x", "1.x", "*"). A partial version without an operator or with "="
// is a range too ("1.2" is >=1.2.0 <1.3.0); with ">", ">=", "<", "<=" it is zero-filled.
type Constraint struct {
	text string
	any  [][]comparator
}

type comparator struct {
	op string // one of = != > >= < <=
	v  Version
}

// ParseConstraint parses a constraint such as ">=0.8.5", ">=1.2, <2", "~1.4" or "^1 || 2.0.x".
func ParseConstraint(s string) (Constraint, error) {
	c := Constraint{text: s}
	for _, alt := range strings.Split(s, "||") {
		tokens := tokenize(alt)
		if len(tokens) == 0 {
			return Constraint{}, fmt.Errorf("invalid version constraint %q: empty", s)
		}
		var and []comparator
		for _, tok := range tokens {
			cs, err := parseComparator(tok)
			if err != nil {
				return Constraint{}, fmt.Errorf("invalid version constraint %q: %w", s, err)
			}
			and = append(and, cs...)
		}
		c.any = append(c.any, and)
	}
	return c, nil
}

// tokenize splits on commas and spaces and glues a lone operator to the version after it (">= 1.2").
func tokenize(s string) []string {
	fields := strings.Fields(strings.ReplaceAll(s, ",", " "))
	var out []string
	for i := 0; i < len(fields); i++ {
		f := fields[i]
		if strings.Trim(f, "=!<>~^") == "" && i+1 < len(fields) {
			f += fields[i+1]
			i++
		}
		out = append(out, f)
	}
	return out
}

func parseComparator(tok string) ([]comparator, error) {
	op := ""
	for _, candidate := range []string{">=", "<=", "!=", "==", ">", "<", "=", "~", "^"} {
		if strings.HasPrefix(tok, candidate) {
			op = candidate
			break
		}
	}
	rest := strings.TrimPrefix(strings.TrimPrefix(strings.TrimPrefix(tok, op), "v"), "V")
	if op == "==" {
		op = "="
	}
	if rest == "" {
		return nil, fmt.Errorf("missing version in %q", tok)
	}
	// n counts the numbers given before any wildcard: "1.2" → 2, "1.x" → 1, "*" → 0.
	n, v, err := parsePartial(rest)
	if err != nil {
		return nil, fmt.Errorf("%q: %w", tok, err)
	}
	full := n == 3
	switch op {
	case ">", ">=", "<", "<=", "!=":
		if !full && n == 0 {
			if op == "<" || op == "!=" {
				return []comparator{{op: "<", v: Version{}}, {op: ">", v: Version{}}}, nil // matches nothing
			}
			return nil, nil // any version
		}
		if !full && (op == ">" || op == "<=") {
			// ">1.2" means above every 1.2.x; "<=1.2" includes every 1.2.x.
			up := bump(v, n)
			if op == ">" {
				return []comparator{{op: ">=", v: up}}, nil
			}
			return []comparator{{op: "<", v: up}}, nil
		}
		return []comparator{{op: op, v: v}}, nil
	case "", "=":
		if full {
			return []comparator{{op: "=", v: v}}, nil
		}
		if n == 0 {
			return nil, nil
		}
		return []comparator{{op: ">=", v: v}, {op: "<", v: bump(v, n)}}, nil
	case "~":
		if n == 0 {
			return nil, nil
		}
		level := 2
		if n == 1 {
			level = 1
		}
		return []comparator{{op: ">=", v: v}, {op: "<", v: bump(v, level)}}, nil
	case "^":
		if n == 0 {
			return nil, nil
		}
		level := 1
		switch {
		case v.Major == 0 && n >= 2 && (v.Minor != 0 || n == 2):
			level = 2
		case v.Major == 0 && n == 3:
			level = 3
		}
		return []comparator{{op: ">=", v: v}, {op: "<", v: bump(v, level)}}, nil
	}
	return nil, fmt.Errorf("unknown operator in %q", tok)
}

// parsePartial parses "1", "1.2", "1.2.3", "1.2.3-rc.1", "1.x", "1.2.*", "*".
func parsePartial(s string) (int, Version, error) {
	if s == "*" || s == "x" || s == "X" {
		return 0, Version{}, nil
	}
	core, _, hasPre := strings.Cut(s, "-")
	parts := strings.Split(core, ".")
	if len(parts) > 3 {
		return 0, Version{}, fmt.Errorf("too many version components")
	}
	n := 0
	for _, p := range parts {
		if p == "x" || p == "X" || p == "*" {
			break
		}
		if _, err := parseNumber(p); err != nil {
			return 0, Version{}, err
		}
		n++
	}
	if n < len(parts) && hasPre {
		return 0, Version{}, fmt.Errorf("pre-release with a wildcard")
	}
	text := strings.Join(parts[:n], ".")
	if n == 3 {
		text = s
	}
	v, ok := ParseVersion(text)
	if !ok {
		return 0, Version{}, fmt.Errorf("not a version")
	}
	return n, v, nil
}

// bump returns the smallest version above every version sharing the first level components of v.
func bump(v Version, level int) Version {
	switch level {
	case 1:
		return Version{Major: v.Major + 1}
	case 2:
		return Version{Major: v.Major, Minor: v.Minor + 1}
	}
	return Version{Major: v.Major, Minor: v.Minor, Patch: v.Patch + 1}
}

// Match reports whether v satisfies the constraint. As in npm, a pre-release (1.3.0-rc.1) matches only a
// comparator set that names a pre-release of the same major.minor.patch, so ">=1.2" or "~1.2" never
// pick release candidates by accident.
func (c Constraint) Match(v Version) bool {
	for _, and := range c.any {
		ok := len(v.Pre) == 0
		for _, cmp := range and {
			if len(v.Pre) > 0 && len(cmp.v.Pre) > 0 && cmp.v.Major == v.Major && cmp.v.Minor == v.Minor && cmp.v.Patch == v.Patch {
				ok = true
			}
		}
		if !ok {
			continue
		}
		for _, cmp := range and {
			if !cmp.match(v) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func (c comparator) match(v Version) bool {
	r := v.Compare(c.v)
	switch c.op {
	case "=":
		return r == 0
	case "!=":
		return r != 0
	case ">":
		return r > 0
	case ">=":
		return r >= 0
	case "<":
		return r < 0
	case "<=":
		return r <= 0
	}
	return false
}

// String returns the constraint as written.
func (c Constraint) String() string { return c.text }
