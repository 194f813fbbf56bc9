// helm-render: renders a Helm chart's templates the way `helm template` does, with the same
// engine (Go text/template) and function library (sprig v3) plus Helm's include, required and
// toYaml, from Debian's Go packages (neither helm nor kubectl can be installed here). It is the
// test's independent renderer of packaging/kubernetes/chart, not a product.
//
//	helm-render CHART_DIR RELEASE_NAME NAMESPACE [VALUES_FILE] > rendered.yaml
//
// VALUES_FILE is merged over values.yaml as `helm template -f` does (maps merge, the rest
// replaces).
package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig/v3"
	"gopkg.in/yaml.v3"
)

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "helm-render: "+format+"\n", args...)
	os.Exit(1)
}

func readYaml(path string) map[string]interface{} {
	data, err := os.ReadFile(path)
	if err != nil {
		fail("%v", err)
	}
	out := map[string]interface{}{}
	if err := yaml.Unmarshal(data, &out); err != nil {
		fail("%s: %v", path, err)
	}
	return out
}

func merge(into, from map[string]interface{}) {
	for k, v := range from {
		if sub, ok := v.(map[string]interface{}); ok {
			if dst, ok := into[k].(map[string]interface{}); ok {
				merge(dst, sub)
				continue
			}
		}
		into[k] = v
	}
}

func main() {
	if len(os.Args) != 4 && len(os.Args) != 5 {
		fail("usage: helm-render CHART_DIR RELEASE_NAME NAMESPACE [VALUES_FILE]")
	}
	chartDir, release, namespace := os.Args[1], os.Args[2], os.Args[3]
	chart := readYaml(filepath.Join(chartDir, "Chart.yaml"))
	values := readYaml(filepath.Join(chartDir, "values.yaml"))
	if len(os.Args) == 5 {
		merge(values, readYaml(os.Args[4]))
	}
	name, _ := chart["name"].(string)
	base := name + "/templates"

	root := template.New("chart")
	funcs := sprig.TxtFuncMap()
	funcs["include"] = func(tpl string, data interface{}) (string, error) {
		var buf bytes.Buffer
		err := root.ExecuteTemplate(&buf, tpl, data)
		return buf.String(), err
	}
	funcs["required"] = func(what string, v interface{}) (interface{}, error) {
		if v == nil || v == "" {
			return nil, fmt.Errorf("%s is required", what)
		}
		return v, nil
	}
	funcs["toYaml"] = func(v interface{}) string {
		out, err := yaml.Marshal(v)
		if err != nil {
			return ""
		}
		return strings.TrimSuffix(string(out), "\n")
	}
	root.Funcs(funcs).Option("missingkey=zero")

	files, _ := filepath.Glob(filepath.Join(chartDir, "templates", "*"))
	sort.Strings(files)
	var rendered []string
	for _, f := range files {
		text, err := os.ReadFile(f)
		if err != nil {
			fail("%v", err)
		}
		if _, err := root.New(base + "/" + filepath.Base(f)).Parse(string(text)); err != nil {
			fail("%s: %v", f, err)
		}
		if !strings.HasPrefix(filepath.Base(f), "_") {
			rendered = append(rendered, base+"/"+filepath.Base(f))
		}
	}
	data := map[string]interface{}{
		"Values":   values,
		"Release":  map[string]interface{}{"Name": release, "Namespace": namespace, "Service": "Helm"},
		"Chart":    map[string]interface{}{"Name": name, "Version": chart["version"], "AppVersion": chart["appVersion"]},
		"Template": map[string]interface{}{"BasePath": base},
	}
	for _, t := range rendered {
		var buf bytes.Buffer
		if err := root.ExecuteTemplate(&buf, t, data); err != nil {
			fail("%s: %v", t, err)
		}
		if strings.TrimSpace(buf.String()) == "" {
			continue
		}
		fmt.Printf("---\n# Source: %s\n%s\n", t, strings.TrimSpace(buf.String()))
	}
}
