package registry

import "testing"

func TestParseVersion(t *testing.T) {
	cases := []struct {
		in   string
		want string
		ok   bool
	}{
		{"1.2.3", "1.2.3", true},
		{"v1.2.3", "1.2.3", true},
		{"0.8.5", "0.8.5", true},
		{"1.2", "1.2.0", true},
		{"1", "1.0.0", true},
		{"1.2.3-rc.1", "1.2.3-rc.1", true},
		{"1.2.3+build.7", "1.2.3", true},
		{"1.2.3-rc.1+b", "1.2.3-rc.1", true},
		{"latest", "", false},
		{"1.2.3.4", "", false},
		{"1..3", "", false},
		{"1.2.3-", "", false},
		{"1.2.3-a..b", "", false},
		{"sha-abc123", "", false},
		{"", "", false},
		{"1.-2.3", "", false},
	}
	for _, c := range cases {
		v, ok := ParseVersion(c.in)
		if ok != c.ok || (ok && v.String() != c.want) {
			t.Errorf("ParseVersion(%q) = %v, %v; want %q, %v", c.in, v, ok, c.want, c.ok)
		}
	}
}

func TestCompare(t *testing.T) {
	// Ascending by semver precedence (semver.org §11).
	order := []string{"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2",
		"1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.2.0", "1.10.0", "2.0.0"}
	for i := range order {
		for j := range order {
			a, _ := ParseVersion(order[i])
			b, _ := ParseVersion(order[j])
			want := cmpInt(i, j)
			if got := a.Compare(b); got != want {
				t.Errorf("Compare(%s, %s) = %d, want %d", order[i], order[j], got, want)
			}
		}
	}
}

func TestConstraintMatch(t *testing.T) {
	cases := []struct {
		constraint string
		yes, no    []string
	}{
		{">=0.8.5", []string{"0.8.5", "0.8.6", "0.9.0", "1.0.0", "v0.8.5"}, []string{"0.8.4", "0.8.5-rc.1", "0.1"}},
		{">=1.2", []string{"1.2.0", "1.3.0", "2.0.0"}, []string{"1.1.9"}},
		{"<2", []string{"1.99.99", "0.1.0"}, []string{"2.0.0", "2.1.0", "2.0.0-rc.1", "1.5.0-rc.1"}},
		{">=1.2, <2", []string{"1.2.0", "1.9.9"}, []string{"1.1.0", "2.0.0"}},
		{">=1.2 <2", []string{"1.5.0"}, []string{"2.0.0", "1.0.0"}},
		{">= 1.2, < 2", []string{"1.5.0"}, []string{"2.0.0", "1.0.0"}},
		{"1.2.3", []string{"1.2.3", "v1.2.3"}, []string{"1.2.4", "1.2.3-rc.1"}},
		{"=1.2.3", []string{"1.2.3"}, []string{"1.2.4"}},
		{"==1.2.3", []string{"1.2.3"}, []string{"1.2.2"}},
		{"!=1.2.3", []string{"1.2.4", "1.2.2"}, []string{"1.2.3"}},
		{"1.2", []string{"1.2.0", "1.2.99"}, []string{"1.3.0", "1.1.9"}},
		{"1.2.x", []string{"1.2.0", "1.2.7"}, []string{"1.3.0"}},
		{"1.x", []string{"1.0.0", "1.9.0"}, []string{"2.0.0", "0.9.0"}},
		{"*", []string{"0.0.1", "9.9.9"}, nil},
		{"~1.2.3", []string{"1.2.3", "1.2.9"}, []string{"1.3.0", "1.2.2"}},
		{"~1.2", []string{"1.2.0", "1.2.9"}, []string{"1.3.0"}},
		{"~1", []string{"1.0.0", "1.9.9"}, []string{"2.0.0"}},
		{"^1.2.3", []string{"1.2.3", "1.9.0"}, []string{"2.0.0", "1.2.2"}},
		{"^0.2.3", []string{"0.2.3", "0.2.9"}, []string{"0.3.0"}},
		{"^0.0.3", []string{"0.0.3"}, []string{"0.0.4"}},
		{"^0", []string{"0.9.9"}, []string{"1.0.0"}},
		{">1.2", []string{"1.3.0"}, []string{"1.2.9", "1.2.0"}},
		{"<=1.2", []string{"1.2.9", "1.0.0"}, []string{"1.3.0"}},
		{">1.2.3", []string{"1.2.4"}, []string{"1.2.3"}},
		{"<=1.2.3", []string{"1.2.3"}, []string{"1.2.4"}},
		{"<1.0.0 || >=2.0.0", []string{"0.9.0", "2.0.0"}, []string{"1.5.0"}},
		{">=1.0.0-rc.1", []string{"1.0.0-rc.1", "1.0.0-rc.2", "1.0.0", "1.2.0"}, []string{"1.0.0-beta.9", "1.2.0-rc.1"}},
		{"*", []string{"1.0.0"}, []string{"1.0.0-rc.1"}},
	}
	for _, c := range cases {
		con, err := ParseConstraint(c.constraint)
		if err != nil {
			t.Errorf("ParseConstraint(%q): %v", c.constraint, err)
			continue
		}
		for _, s := range c.yes {
			v, ok := ParseVersion(s)
			if !ok || !con.Match(v) {
				t.Errorf("%q should match %s", c.constraint, s)
			}
		}
		for _, s := range c.no {
			v, ok := ParseVersion(s)
			if ok && con.Match(v) {
				t.Errorf("%q should not match %s", c.constraint, s)
			}
		}
	}
}

func TestParseConstraintErrors(t *testing.T) {
	for _, s := range []string{"", ">=", ">=abc", "1.2.3.4", "~>1.2", ">=1.2 ||", "1.x-rc.1", "=>1.0"} {
		if _, err := ParseConstraint(s); err == nil {
			t.Errorf("ParseConstraint(%q) succeeded, want an error", s)
		}
	}
}
