package manifest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The file is walked as a yaml.Node tree rather than decoded into structs
// with KnownFields(true), whose errors ("field x not found in type y") give a
// line but no path. A Node keeps repeated keys, so mapping rejects them.
func decodeSingleDocument(data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("the deployment file is empty")
		}
		return nil, fmt.Errorf("not valid YAML: %w", err)
	}
	if len(doc.Content) == 0 {
		return nil, errors.New("the deployment file is empty")
	}
	var next yaml.Node
	if err := dec.Decode(&next); !errors.Is(err, io.EOF) {
		return nil, errors.New("the deployment file must hold a single YAML document")
	}
	return doc.Content[0], nil
}

// fieldPath names a field as a user would point at it: groups[0].resources.gpu.
type fieldPath string

func (p fieldPath) key(k string) fieldPath {
	if p == "" {
		return fieldPath(k)
	}
	return p + "." + fieldPath(k)
}

func (p fieldPath) index(i int) fieldPath {
	return fieldPath(fmt.Sprintf("%s[%d]", p, i))
}

// fieldError ties an error to a field of the file and a line.
type fieldError struct {
	path fieldPath
	line int
	err  error
}

func (e *fieldError) Error() string {
	path := string(e.path)
	if path == "" {
		path = "top level"
	}
	// Error(), not %v: registered errors print their stack under %v.
	if e.line > 0 {
		return fmt.Sprintf("line %d: %s: %s", e.line, path, e.err.Error())
	}
	return fmt.Sprintf("%s: %s", path, e.err.Error())
}

func (e *fieldError) Unwrap() error { return e.err }

func fieldErr(p fieldPath, at *yaml.Node, format string, args ...any) error {
	return wrapField(p, at, fmt.Errorf(format, args...))
}

func wrapField(p fieldPath, at *yaml.Node, err error) error {
	line := 0
	if at != nil {
		line = at.Line
	}
	return &fieldError{path: p, line: line, err: err}
}

// resolve follows aliases (*anchor) to the node they name.
func resolve(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func kindOf(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "null"
		}
		return fmt.Sprintf("%q", n.Value)
	default:
		return "something else"
	}
}

// mapping checks that n is a mapping whose keys are known and unique, and
// returns its values by key.
func mapping(n *yaml.Node, p fieldPath, known ...string) (map[string]*yaml.Node, error) {
	n = resolve(n)
	if n.Kind != yaml.MappingNode {
		return nil, fieldErr(p, n, "want a mapping, got %s", kindOf(n))
	}
	out := make(map[string]*yaml.Node, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := resolve(n.Content[i])
		if k.Kind != yaml.ScalarNode {
			return nil, fieldErr(p, k, "want a field name, got %s", kindOf(k))
		}
		if !slices.Contains(known, k.Value) {
			return nil, fieldErr(p.key(k.Value), k, "unknown field (known: %s)", strings.Join(known, ", "))
		}
		if _, dup := out[k.Value]; dup {
			return nil, fieldErr(p.key(k.Value), k, "given twice")
		}
		out[k.Value] = resolve(n.Content[i+1])
	}
	return out, nil
}

// need reports the first of keys that the mapping at p lacks.
func need(fields map[string]*yaml.Node, p fieldPath, at *yaml.Node, keys ...string) error {
	for _, k := range keys {
		if _, ok := fields[k]; !ok {
			return fieldErr(p.key(k), at, "required")
		}
	}
	return nil
}

func sequence(n *yaml.Node, p fieldPath, maxLen int) ([]*yaml.Node, error) {
	n = resolve(n)
	if n.Kind != yaml.SequenceNode {
		return nil, fieldErr(p, n, "want a list, got %s", kindOf(n))
	}
	if len(n.Content) > maxLen {
		return nil, fieldErr(p, n, "at most %d items, got %d", maxLen, len(n.Content))
	}
	out := make([]*yaml.Node, len(n.Content))
	for i, item := range n.Content {
		out[i] = resolve(item)
	}
	return out, nil
}

// scalar returns a non-null scalar as written.
func scalar(n *yaml.Node, p fieldPath) (string, error) {
	n = resolve(n)
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return "", fieldErr(p, n, "want a value, got %s", kindOf(n))
	}
	return n.Value, nil
}

// unsigned reads a decimal integer in [0, maxValue].
func unsigned(n *yaml.Node, p fieldPath, maxValue uint64) (uint64, error) {
	s, err := scalar(n, p)
	if err != nil {
		return 0, err
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fieldErr(p, n, "want a non-negative whole number, got %q", s)
	}
	if v > maxValue {
		return 0, fieldErr(p, n, "%d is above the limit of %d", v, maxValue)
	}
	return v, nil
}
