package crdcompare

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// AllowEntry accepts one known difference: <file> <path> <what>: <reason>.
type AllowEntry struct {
	File, Path, What, Reason string
	Line                     int
}

// Key identifies the difference an entry accepts.
func (e AllowEntry) Key() string { return e.File + " " + e.Path + " " + e.What }

// ParseAllowList reads an allow-list; blank lines and lines starting with # are ignored.
// Every entry must give a non-empty one-line reason.
func ParseAllowList(r io.Reader) ([]AllowEntry, error) {
	var out []AllowEntry
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		head, reason, ok := strings.Cut(line, ": ")
		fields := strings.Fields(head)
		if !ok || len(fields) != 3 || strings.TrimSpace(reason) == "" {
			return nil, fmt.Errorf("line %d: want `<file> <path> <what>: <reason>`, got %q", n, line)
		}
		out = append(out, AllowEntry{File: fields[0], Path: fields[1], What: fields[2], Reason: strings.TrimSpace(reason), Line: n})
	}
	return out, sc.Err()
}
