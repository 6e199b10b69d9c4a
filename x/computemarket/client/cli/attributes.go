package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/daitchain/daitchain/x/computemarket/types"
)

const (
	flagAttributes = "attributes"
	flagAttribute  = "attribute"
)

// attributeSyntax is the help shared by every command that takes attributes.
const attributeSyntax = `Attributes are key=value pairs. A list separates them with commas; a value
that holds a comma is written in double quotes, with "" for a quote inside
(as in CSV): region="na-east,eu-west",tier=datacenter. Quote the whole list
for the shell. --attribute key=value (repeatable) takes one pair and its value
as written, commas and quotes included; its pairs come after the list's.`

// addAttributeFlags adds --attribute, and --attributes unless the command
// takes the list as an argument.
func addAttributeFlags(cmd *cobra.Command, withList bool) {
	if withList {
		cmd.Flags().String(flagAttributes, "", `attributes as k=v,k=v; quote a value holding a comma: k="a,b"`)
	}
	cmd.Flags().StringArray(flagAttribute, nil, "one attribute k=v, value taken as written (repeatable)")
}

// attributesFromFlags reads the attributes of a command: those of list (the
// --attributes value or a positional argument), then each --attribute.
func attributesFromFlags(cmd *cobra.Command, list string) ([]types.Attribute, error) {
	attrs, err := ParseAttributes(list)
	if err != nil {
		return nil, err
	}
	pairs, err := cmd.Flags().GetStringArray(flagAttribute)
	if err != nil {
		return nil, err
	}
	for _, pair := range pairs {
		a, err := ParseAttribute(pair)
		if err != nil {
			return nil, fmt.Errorf("--%s: %w", flagAttribute, err)
		}
		attrs = append(attrs, a)
	}
	return attrs, nil
}

// ParseAttribute reads one "key=value": the key is what comes before the
// first "=", the value everything after it, commas and quotes included.
func ParseAttribute(pair string) (types.Attribute, error) {
	k, v, ok := strings.Cut(pair, "=")
	k, v = strings.TrimSpace(k), strings.TrimSpace(v)
	if !ok || k == "" || v == "" {
		return types.Attribute{}, fmt.Errorf("attribute %q: want key=value", pair)
	}
	return types.Attribute{Key: k, Value: v}, nil
}

// ParseAttributes reads "k=v,k=v" into attributes, in the given order. A
// value that starts with a double quote runs to the closing quote, so it may
// hold commas; "" inside it is one quote. Empty items (",,") are skipped.
// Spaces around keys, values and commas are dropped (values cannot hold
// spaces).
func ParseAttributes(s string) ([]types.Attribute, error) {
	var out []types.Attribute
	rest := s
	for {
		rest = strings.TrimLeft(rest, " \t")
		if rest == "" {
			return out, nil
		}
		if rest[0] == ',' {
			rest = rest[1:]
			continue
		}
		item := rest
		itemText := func() string { return strings.TrimSpace(item[:len(item)-len(rest)]) }

		eq := strings.IndexAny(rest, "=,")
		if eq < 0 || rest[eq] == ',' {
			if eq >= 0 {
				rest = rest[eq:]
			} else {
				rest = ""
			}
			return nil, fmt.Errorf("attribute %q: want key=value", itemText())
		}
		key := strings.TrimSpace(rest[:eq])
		rest = strings.TrimLeft(rest[eq+1:], " \t")

		var value string
		if strings.HasPrefix(rest, `"`) {
			var err error
			if value, rest, err = unquoteValue(rest); err != nil {
				return nil, fmt.Errorf("attribute %q: %w", key, err)
			}
			rest = strings.TrimLeft(rest, " \t")
			if rest != "" && rest[0] != ',' {
				return nil, fmt.Errorf("attribute %q: want a comma after the closing quote, got %q", key, rest)
			}
		} else {
			end := strings.IndexByte(rest, ',')
			if end < 0 {
				end = len(rest)
			}
			value, rest = strings.TrimSpace(rest[:end]), rest[end:]
		}
		if key == "" || value == "" {
			return nil, fmt.Errorf("attribute %q: want key=value", itemText())
		}
		out = append(out, types.Attribute{Key: key, Value: value})
	}
}

// unquoteValue reads the quoted value at the start of s (s[0] is '"') and
// returns it with the text after its closing quote.
func unquoteValue(s string) (value, rest string, err error) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		if s[i] != '"' {
			b.WriteByte(s[i])
			continue
		}
		if i+1 < len(s) && s[i+1] == '"' {
			b.WriteByte('"')
			i++
			continue
		}
		return b.String(), s[i+1:], nil
	}
	return "", "", errors.New(`no closing quote (write "" for a quote inside a quoted value)`)
}

// splitList reads "a,b,c", dropping empty items and spaces.
func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}
