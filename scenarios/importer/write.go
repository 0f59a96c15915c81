package importer

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	yamlv3 "go.yaml.in/yaml/v3"
	"sigs.k8s.io/yaml"
)

// YAML renders the imported scenario as a scenario file: a header naming the sources and what
// was not mapped, and each assumption as a comment beside its field.
func (r *Result) YAML(sources []string) ([]byte, error) {
	js, err := yaml.Marshal(r.Scenario)
	if err != nil {
		return nil, err
	}
	var doc yamlv3.Node
	if err := yamlv3.Unmarshal(js, &doc); err != nil {
		return nil, err
	}
	var loose []Note // assumptions about a field the scenario leaves out
	for _, a := range r.Assumptions {
		if a.Field == "" {
			continue
		}
		k, n := walk(&doc, a.Field)
		if n != nil && n.Kind != yamlv3.ScalarNode && k != nil {
			n = k // a comment on a mapping goes beside its key
		}
		if n == nil {
			// A field left out: the comment goes beside the workload's name.
			if i := strings.Index(a.Field, "]."); i > 0 {
				n = lookup(&doc, a.Field[:i+1]+".name")
			}
		}
		if n == nil {
			loose = append(loose, a)
			continue
		}
		if n.LineComment != "" {
			n.LineComment += "; "
		}
		n.LineComment += a.Text
	}
	for i := range r.Scenario.Spec.Workloads {
		name := r.Scenario.Spec.Workloads[i].Name
		if n := lookupKey(&doc, fmt.Sprintf("spec.workloads[%d].name", i)); n != nil {
			n.HeadComment = "from " + r.Sources[name]
		}
	}
	var head strings.Builder
	fmt.Fprintf(&head, "Imported by zdt scenario import from %s.\n", strings.Join(sources, ", "))
	head.WriteString("Comments beside fields are assumptions: what the manifests cannot show. Edit them, or set\n")
	fmt.Fprintf(&head, "the annotations %s and %s on the workloads and import again.\n", AnnotationOnSigterm, AnnotationStartupTime)
	if len(r.Unmapped) > 0 {
		head.WriteString("\nNot mapped (the simulator does not model these; the scenario is without them):\n")
		for _, u := range r.Unmapped {
			fmt.Fprintf(&head, "- %s: %s\n", u.Object, u.Text)
		}
	}
	for _, a := range r.Assumptions {
		if a.Field == "" {
			fmt.Fprintf(&head, "\nAssumed: %s\n", a.Text)
		}
	}
	for _, a := range loose {
		fmt.Fprintf(&head, "\nAssumed for %s (%s): %s\n", a.Object, a.Field, a.Text)
	}
	doc.HeadComment = strings.TrimRight(head.String(), "\n")
	var buf bytes.Buffer
	enc := yamlv3.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

var step = regexp.MustCompile(`^([A-Za-z]+)(?:\[([0-9]+)\])?$`)

// lookup returns the value node at a dotted path such as spec.workloads[2].shutdown.onSigterm.
func lookup(doc *yamlv3.Node, path string) *yamlv3.Node {
	_, v := walk(doc, path)
	return v
}

// lookupKey returns the key node of the last step of path.
func lookupKey(doc *yamlv3.Node, path string) *yamlv3.Node {
	k, _ := walk(doc, path)
	return k
}

func walk(doc *yamlv3.Node, path string) (key, val *yamlv3.Node) {
	n := doc
	if n.Kind == yamlv3.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	for _, part := range strings.Split(path, ".") {
		m := step.FindStringSubmatch(part)
		if m == nil || n.Kind != yamlv3.MappingNode {
			return nil, nil
		}
		key, val = nil, nil
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == m[1] {
				key, val = n.Content[i], n.Content[i+1]
			}
		}
		if val == nil {
			return nil, nil
		}
		if m[2] != "" {
			i, _ := strconv.Atoi(m[2])
			if val.Kind != yamlv3.SequenceNode || i >= len(val.Content) {
				return nil, nil
			}
			key, val = nil, val.Content[i]
		}
		n = val
	}
	return key, val
}
