package scenarios

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	yamlv3 "go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// duplicateKeys finds every key set twice in one YAML mapping, with its field path and lines:
// YAML-to-JSON conversion would keep the last one without a word. Keys a merge (<<: *anchor)
// brings in may be overridden, as YAML allows.
func duplicateKeys(data []byte) []string {
	var out []string
	dec := yamlv3.NewDecoder(bytes.NewReader(data))
	for {
		var doc yamlv3.Node
		if err := dec.Decode(&doc); err != nil {
			return out // end of input, or a syntax error the conversion reports
		}
		walkDuplicates(&doc, nil, &out)
	}
}

func walkDuplicates(n *yamlv3.Node, p *field.Path, out *[]string) {
	switch n.Kind {
	case yamlv3.DocumentNode:
		for _, c := range n.Content {
			walkDuplicates(c, p, out)
		}
	case yamlv3.SequenceNode:
		for i, c := range n.Content {
			walkDuplicates(c, indexPath(p, i), out)
		}
	case yamlv3.MappingNode:
		seen := map[string]int{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Value == "<<" && k.Tag != "!!str" {
				continue
			}
			kp := childPath(p, k.Value)
			if line, dup := seen[k.Value]; dup {
				*out = append(*out, fmt.Sprintf("%s: duplicate field (lines %d and %d); keep only one of them", kp, line, k.Line))
			} else {
				seen[k.Value] = k.Line
			}
			walkDuplicates(v, kp, out)
		}
	}
}

func childPath(p *field.Path, name string) *field.Path {
	if p == nil {
		return field.NewPath(name)
	}
	return p.Child(name)
}

func indexPath(p *field.Path, i int) *field.Path {
	if p == nil {
		return field.NewPath("").Index(i)
	}
	return p.Index(i)
}

// typeProblems decodes the scenario's JSON field by field and returns every value that does not
// fit its field's type (a duration "abc", a quantity "lots", a string where a number goes), each
// with its field path: encoding/json stops at the first one and names no path for the types that
// parse themselves.
func typeProblems(js []byte) []string {
	var out []string
	var s Scenario
	decodeLenient(json.RawMessage(js), reflect.ValueOf(&s).Elem(), nil, &out)
	return out
}

var unmarshalerType = reflect.TypeOf((*json.Unmarshaler)(nil)).Elem()

func decodeLenient(raw json.RawMessage, v reflect.Value, p *field.Path, out *[]string) {
	if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return
	}
	if v.Kind() != reflect.Pointer && v.CanAddr() && v.Addr().Type().Implements(unmarshalerType) {
		if err := json.Unmarshal(raw, v.Addr().Interface()); err != nil {
			*out = append(*out, invalid(p, raw, cleanErr(err)))
		}
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		decodeLenient(raw, v.Elem(), p, out)
	case reflect.Struct:
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(raw, &fields); err != nil {
			*out = append(*out, invalid(p, raw, "must be an object"))
			return
		}
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "" || name == "-" || !f.IsExported() {
				continue
			}
			if r, ok := fields[name]; ok {
				decodeLenient(r, v.Field(i), childPath(p, name), out)
			}
		}
	case reflect.Slice:
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			*out = append(*out, invalid(p, raw, "must be a list"))
			return
		}
		v.Set(reflect.MakeSlice(v.Type(), len(items), len(items)))
		for i, r := range items {
			decodeLenient(r, v.Index(i), indexPath(p, i), out)
		}
	case reflect.Map:
		var items map[string]json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			*out = append(*out, invalid(p, raw, "must be an object"))
			return
		}
		v.Set(reflect.MakeMap(v.Type()))
		for k, r := range items {
			e := reflect.New(v.Type().Elem()).Elem()
			decodeLenient(r, e, childPath(p, k), out)
			v.SetMapIndex(reflect.ValueOf(k), e)
		}
	default:
		if err := json.Unmarshal(raw, v.Addr().Interface()); err != nil {
			*out = append(*out, invalid(p, raw, "must be "+kindName(v.Kind())))
		}
	}
}

func invalid(p *field.Path, raw json.RawMessage, why string) string {
	if p == nil {
		p = field.NewPath("(document)")
	}
	var str string
	if json.Unmarshal(raw, &str) == nil {
		return field.Invalid(p, str, why).Error()
	}
	return field.Invalid(p, string(bytes.TrimSpace(raw)), why).Error()
}

func kindName(k reflect.Kind) string {
	switch k {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "a whole number"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number, 0 or more"
	}
	return "a " + k.String()
}

// cleanErr drops the "json: " and "time: " prefixes of a type's own parse error.
func cleanErr(err error) string {
	s := err.Error()
	for _, p := range []string{"json: ", "time: "} {
		s = strings.TrimPrefix(s, p)
	}
	if u, e := strconv.Unquote(s); e == nil {
		return u
	}
	return s
}
